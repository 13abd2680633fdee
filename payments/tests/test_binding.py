"""Events are bound by Asaas payment id; a reference only adopts our own unlinked charge."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from appointments.models import Appointment, Patient, PaymentStatus
from payments.metrics import payment_metrics
from payments.models import Charge, ChargeStatus, WebhookEvent, WebhookOutcome
from payments.services.webhooks import webhook_event_process, webhook_event_store
from professionals.models import Professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def unlinked(
    chargeable_professional: Professional, patient: Patient, make_billed_appointment: Any
) -> Appointment:
    Patient.objects.filter(pk=patient.pk).update(asaas_customer_id="cus_ours")
    appointment: Appointment = make_billed_appointment(
        professional=chargeable_professional, patient=patient
    )
    return appointment


def deliver(appointment: Appointment, **payment: Any) -> WebhookEvent:
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": "PAYMENT_RECEIVED",
        "payment": {
            "id": "pay_from_asaas",
            "externalReference": f"appointment-{appointment.pk}",
            "customer": "cus_ours",
            "value": "100.00",
            "status": "RECEIVED",
            **payment,
        },
    }
    event, _created = webhook_event_store(payload=body)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    return event


def test_our_unlinked_charge_is_adopted_when_customer_and_value_match(
    unlinked: Appointment,
) -> None:
    event = deliver(unlinked)

    assert event.outcome == WebhookOutcome.PROCESSED
    appointment = Appointment.objects.get(pk=unlinked.pk)
    assert (appointment.status, appointment.asaas_payment_id) == (
        PaymentStatus.PAID,
        "pay_from_asaas",
    )
    assert appointment.platform_amount is not None  # split amounts always set when linked


@pytest.mark.parametrize(
    ("payment", "reason"),
    [
        ({"value": "1.00"}, "value_mismatch"),
        ({"customer": "cus_someone_else"}, "customer_mismatch"),
        ({"externalReference": "appointment-0017"}, "malformed_reference"),
    ],
)
def test_a_mismatch_is_rejected_and_changes_nothing(
    unlinked: Appointment, payment: dict[str, Any], reason: str
) -> None:
    before = Appointment.objects.values().get(pk=unlinked.pk)

    event = deliver(unlinked, **payment)

    assert (event.outcome, event.error) == (WebhookOutcome.REJECTED, reason)
    assert Appointment.objects.values().get(pk=unlinked.pk) == before
    assert payment_metrics(days=1)["health"]["webhooks_last_24h"]["REJECTED"] == 1


def test_another_payment_id_cannot_take_over_a_linked_charge(unlinked: Appointment) -> None:
    assert deliver(unlinked).outcome == WebhookOutcome.PROCESSED
    intruder = deliver(unlinked, id="pay_other", value="1.00")

    assert intruder.outcome == WebhookOutcome.REJECTED
    charge = Charge.objects.get(appointment=unlinked)
    assert (charge.asaas_payment_id, charge.status) == ("pay_from_asaas", ChargeStatus.PAID)
    assert charge.value == Decimal("100.00")
