"""Request ids end to end: HTTP request → Celery task → ledger rows, and webhook → event → rows."""

from __future__ import annotations

import re

import pytest

from payments.models import PaymentTransaction, TransactionType, WebhookEvent

from .conftest import Stack, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def test_request_id_reaches_the_task_and_its_ledger_rows(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    stack.http.headers["X-Request-ID"] = "booking-req-0001"
    response = stack.http.post(
        f"{stack.base_url}/api/appointments/",
        json={
            "date": stack.next_slot().isoformat(),
            "professional": professional.pk,
            "patient": patient["id"],
            "total_amount": "100.00",
            "payment_method": "PIX",
        },
        timeout=30,
    )
    del stack.http.headers["X-Request-ID"]
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == "booking-req-0001"

    appointment, payment = stack.charged(response.json()["id"])
    charge_rows = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type=TransactionType.CHARGE
    )
    assert charge_rows.exists()
    assert set(charge_rows.values_list("request_id", flat=True)) == {"booking-req-0001"}
    # The worker's own log lines about that task carry the same id, each line once (Celery
    # logs through the project's handler only: no second, differently formatted copy).
    log = stack.worker_log()
    tagged = [line for line in log.splitlines() if "[booking-req-0001]" in line]
    assert any("create_asaas_charge_task" in line and "succeeded" in line for line in tagged)
    assert len(tagged) == len(set(tagged)), tagged
    succeeded = [line for line in log.splitlines() if "create_asaas_charge_task" in line]
    assert sum("succeeded" in line for line in succeeded) == 1, succeeded

    # The emulator's webhook sends no id: the app makes one, stores it on the event, and the
    # rows the event's processing writes (in the worker) carry it too.
    stack.emulator.confirm(payment["id"])
    stack.wait_status(appointment.pk, "PAID")
    event = wait_until(
        lambda: WebhookEvent.objects.filter(
            asaas_payment_id=payment["id"], event_type__in=["PAYMENT_CONFIRMED", "PAYMENT_RECEIVED"]
        ).first(),
        message="the payment's confirmation event",
    )
    assert re.fullmatch(r"[0-9a-f]{32}", event.request_id)
    assert event.request_id != "booking-req-0001"
    webhook_rows = PaymentTransaction.objects.filter(webhook_event=event)
    assert webhook_rows.exists()
    assert set(webhook_rows.values_list("request_id", flat=True)) == {event.request_id}
