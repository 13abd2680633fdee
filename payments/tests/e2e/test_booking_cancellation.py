"""A booking cancelled through the API: the real worker settles its payment at the emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appointments.models import Appointment

from .conftest import Stack, money, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def test_cancellations_refund_or_cancel_the_charge_through_the_worker(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    paid = stack.paid(professional, patient)
    unpaid, _payment = stack.charged(stack.create_appointment(professional, patient)["id"])

    by_professional = stack.api(
        "POST", f"appointments/{paid.pk}/cancel/", json={"by": "PROFESSIONAL", "reason": "Doente"}
    )
    by_patient = stack.api("POST", f"appointments/{unpaid.pk}/cancel/", json={"by": "PATIENT"})

    assert by_professional["booking_status"] == "CANCELLED_BY_PROFESSIONAL"
    assert by_patient["booking_status"] == "CANCELLED_BY_PATIENT"
    refunded = stack.wait_status(paid.pk, "REFUNDED")
    stack.wait_status(unpaid.pk, "CANCELED")
    assert money(refunded.refunded_amount) == Decimal("100.00")
    at_asaas = {p["id"]: p for p in stack.emulator.payments()}
    assert at_asaas[paid.asaas_payment_id]["status"] == "REFUNDED"
    assert at_asaas[unpaid.asaas_payment_id]["deleted"] is True
    wait_until(
        lambda: "booking_cancellation_settle_task" in stack.worker_log() or None,
        message="the worker to log the settle task",
    )
    # The freed slot can be booked again.
    again = stack.api(
        "POST",
        "appointments/",
        201,
        json={
            "date": Appointment.objects.get(pk=paid.pk).date.isoformat(),
            "professional": professional.pk,
        },
    )
    assert again["booking_status"] == "SCHEDULED"
