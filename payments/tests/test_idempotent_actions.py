"""Idempotency-Key on the payment actions (cancel_payment, refund), against the real emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, PaymentStatus
from core.models import IdempotencyKey
from payments.models import PaymentTransaction, TransactionStatus, TransactionType
from payments.services.asaas_service import AsaasService

from .conftest import ChargeWorld, EmulatorControl
from .test_actions import charged, paid, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("asaas_settings")]


def refunds(appointment: Appointment) -> list[Decimal | None]:
    return list(
        PaymentTransaction.objects.filter(
            appointment=appointment,
            transaction_type=TransactionType.REFUND,
            status=TransactionStatus.SUCCESS,
        )
        .order_by("id")
        .values_list("amount", flat=True)
    )


def test_a_repeated_partial_refund_refunds_once(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = paid(billed, asaas, staff_client)
    body = {"amount": "30.00", "description": "parcial"}
    key = {"Idempotency-Key": "refund-30"}

    first = staff_client.post(url(appointment.pk, "refund"), body, "json", headers=key)
    second = staff_client.post(url(appointment.pk, "refund"), body, "json", headers=key)

    assert first.status_code == second.status_code == 200, first.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["refunded_amount"] == "30.00"
    [charge] = emulator_control.payments()
    assert [Decimal(str(r["value"])) for r in charge["refunds"]] == [Decimal("30.00")]
    assert refunds(appointment) == [Decimal("30.00")]

    # The same key for another amount is refused; a new key refunds again.
    other = staff_client.post(
        url(appointment.pk, "refund"), {"amount": "10.00"}, "json", headers=key
    )
    assert other.status_code == 422
    fresh = staff_client.post(
        url(appointment.pk, "refund"),
        {"amount": "10.00"},
        "json",
        headers={"Idempotency-Key": "refund-10"},
    )
    assert fresh.status_code == 200
    assert refunds(appointment) == [Decimal("30.00"), Decimal("10.00")]


def test_a_repeated_cancel_replays_the_first_answer(
    staff_client: APIClient, billed: ChargeWorld, asaas: AsaasService
) -> None:
    appointment = charged(billed, asaas)
    key = {"Idempotency-Key": "cancel-1"}

    first = staff_client.post(url(appointment.pk, "cancel_payment"), headers=key)
    # Without the key the same call is refused now (nothing left to cancel)...
    plain = staff_client.post(url(appointment.pk, "cancel_payment"))
    # ...with it, the client gets its own answer back (an empty JSON body is the same request).
    second = staff_client.post(url(appointment.pk, "cancel_payment"), {}, "json", headers=key)

    assert first.status_code == 200, first.content
    assert first.json()["status"] == PaymentStatus.CANCELED
    assert plain.status_code == 400
    assert second.status_code == 200
    assert second.json() == first.json()
    cancellations = PaymentTransaction.objects.filter(
        appointment=appointment,
        transaction_type=TransactionType.CANCELLATION,
        status=TransactionStatus.SUCCESS,
    )
    assert cancellations.count() == 1


def test_an_answer_caused_by_asaas_being_down_is_not_stored(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = charged(billed, asaas)
    key = {"Idempotency-Key": "cancel-while-down"}
    emulator_control.faults(error_rate=1.0)

    failed = staff_client.post(url(appointment.pk, "cancel_payment"), headers=key)

    assert failed.status_code == 400, failed.content  # how the service reports it today
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PROCESSING
    assert not IdempotencyKey.objects.filter(key="cancel-while-down").exists()

    emulator_control.faults(error_rate=0.0)
    retried = staff_client.post(url(appointment.pk, "cancel_payment"), headers=key)

    assert retried.status_code == 200, retried.content
    assert "Idempotent-Replayed" not in retried
    assert retried.json()["status"] == PaymentStatus.CANCELED
    assert IdempotencyKey.objects.get(key="cancel-while-down").response_status == 200
