"""Data for the admin page tests (server-side and in the browser)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from appointments.models import Appointment, Patient, PaymentStatus
from appointments.services import appointment_create
from core.tests.factories import ProfessionalFactory
from payments.models import (
    PaymentTransaction,
    TransactionStatus,
    TransactionType,
    WebhookEvent,
    WebhookOutcome,
)
from payments.services.ledger import transaction_record
from professionals.models import IntegrationStatus

from .conftest import new_cpf, next_slot

#: 15/07/2025 14:30 in São Paulo.
JULY_15 = dt.datetime(2025, 7, 15, 17, 30, tzinfo=dt.UTC)
LABEL = "Consulta de Maria Oliveira com Dra. Ana Silva em 15/07/2025 14:30"


@dataclass
class AdminWorld:
    paid: Appointment
    transaction: PaymentTransaction


def make_admin_world() -> AdminWorld:
    """Two weeks of varied payments, one appointment with the label the issue names."""
    ana = ProfessionalFactory.create(
        preferred_name="Dra. Ana Silva",
        integration_status=IntegrationStatus.ACTIVE,
        asaas_wallet_id="0b6a4c1e-1d53-4a0f-9f3e-5a1c2b3d4e5f",
    )
    maria = Patient.objects.create(
        name="Maria Oliveira", cpf=new_cpf(), email="maria@example.com", phone="11987654321"
    )

    def billed(total: str, status: str, days_ago: int, **fields: Any) -> Appointment:
        appointment = appointment_create(
            professional=ana, patient=maria, date=next_slot(), total_amount=Decimal(total)
        )
        Appointment.objects.filter(pk=appointment.pk).update(
            status=status, created_at=timezone.now() - timedelta(days=days_ago), **fields
        )
        appointment.refresh_from_db()
        return appointment

    for day in range(10):
        for _ in range(day % 3 + 1):
            billed(
                "150.00",
                PaymentStatus.PAID,
                day,
                platform_amount=Decimal("22.50"),
                professional_amount=Decimal("127.50"),
            )
        if day % 4 == 0:
            billed("80.00", PaymentStatus.FAILED, day)
    paid = billed(
        "1234.56",
        PaymentStatus.PAID,
        0,
        platform_amount=Decimal("185.18"),
        professional_amount=Decimal("1049.38"),
        asaas_payment_id="pay_admin_1",
    )
    Appointment.objects.filter(pk=paid.pk).update(date=JULY_15, end=JULY_15 + timedelta(hours=1))
    paid.refresh_from_db()
    transaction = transaction_record(
        appointment=paid,
        transaction_type=TransactionType.CHARGE,
        succeeded=True,
        amount=Decimal("1234.56"),
        asaas_payment_id="pay_admin_1",
    )
    transaction_record(
        appointment=paid,
        transaction_type=TransactionType.SYNC,
        succeeded=False,
        error=RuntimeError("timeout"),
    )
    for n, outcome in enumerate(
        [WebhookOutcome.PROCESSED] * 5 + [WebhookOutcome.FAILED, WebhookOutcome.RECEIVED]
    ):
        event = WebhookEvent.objects.create(
            event_id=f"evt_admin_{n}", event_type="PAYMENT_RECEIVED", payload={}
        )
        WebhookEvent.objects.filter(pk=event.pk).update(
            outcome=outcome, received_at=timezone.now() - timedelta(minutes=10)
        )
    assert PaymentTransaction.objects.filter(status=TransactionStatus.FAILED).count() == 1
    return AdminWorld(paid=paid, transaction=transaction)
