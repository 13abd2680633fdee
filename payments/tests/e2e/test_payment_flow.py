"""The payment flow end to end: live app, real Celery worker, Asaas emulator over HTTP."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import QuerySet

from appointments.models import Appointment
from payments.models import PaymentTransaction, TransactionStatus, WebhookEvent
from payments.tasks import appointment_notify_task, sweep_unsubmitted_charges_task

from .conftest import WEBHOOK_TOKEN, Stack, money, wait_until

REFUND_EVENTS = ("PAYMENT_REFUNDED", "PAYMENT_PARTIALLY_REFUNDED")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def transaction_types(appointment: Appointment, *, succeeded: bool = True) -> Counter[str]:
    status = TransactionStatus.SUCCESS if succeeded else TransactionStatus.FAILED
    rows = PaymentTransaction.objects.filter(appointment=appointment, status=status)
    return Counter(rows.values_list("transaction_type", flat=True))


def refund_rows(appointment: Appointment) -> QuerySet[PaymentTransaction]:
    return PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type="REFUND", status=TransactionStatus.SUCCESS
    )


def notify_succeeded(log: str, result: str = "True") -> int:
    pattern = rf"payments\.tasks\.appointment_notify_task\[[^\]]+\] succeeded in [0-9.]+s: {result}"
    return len(re.findall(pattern, log))


def test_onboarding_charge_confirm_webhook_paid(stack: Stack) -> None:
    professional = stack.create_professional()
    state = stack.emulator.state()
    account = next(a for a in state["accounts"] if a["id"] == professional.asaas_account_id)
    assert professional.asaas_wallet_id == account["walletId"]
    assert professional.integration_error == ""

    patient = stack.create_patient()
    created = stack.create_appointment(professional, patient)
    assert created["status"] == "PENDING"
    appointment, payment = stack.charged(created["id"])

    assert appointment.patient is not None
    customer = appointment.patient.asaas_customer_id
    assert customer.startswith("cus_")
    assert payment["customer"] == customer
    assert payment["externalReference"] == f"appointment-{appointment.pk}"
    assert money(payment["value"]) == Decimal("100.00")
    assert payment["billingType"] == "PIX"
    assert [(s["walletId"], money(s["fixedValue"])) for s in payment["split"]] == [
        (professional.asaas_wallet_id, Decimal("85.00"))
    ]
    assert (appointment.platform_amount, appointment.professional_amount) == (
        Decimal("15.00"),
        Decimal("85.00"),
    )
    assert appointment.asaas_invoice_url == payment["invoiceUrl"]

    # A second charge of the same patient reuses the customer (created once at Asaas).
    second, second_payment = stack.charged(stack.create_appointment(professional, patient)["id"])
    assert second_payment["customer"] == customer
    assert stack.emulator.state()["counts"]["customers"] == 1

    stack.emulator.confirm(payment["id"])
    paid = stack.wait_status(appointment.pk, "PAID")
    assert paid.paid_at is not None
    assert second.pk != paid.pk
    assert Appointment.objects.get(pk=second.pk).status == "PROCESSING"
    types = transaction_types(paid)
    assert types["CHARGE"] == 1
    assert types["SPLIT"] == 1
    assert types["WEBHOOK"] == 1
    assert not transaction_types(paid, succeeded=False)
    received = WebhookEvent.objects.get(
        asaas_payment_id=payment["id"], event_type="PAYMENT_RECEIVED"
    )
    assert received.outcome == "PROCESSED"

    # The confirmation e-mail task ran on the worker (its backend is locmem: the log is the proof).
    wait_until(lambda: notify_succeeded(stack.worker_log()), message="the confirmation e-mail")


def test_duplicated_and_reordered_webhooks_make_one_transition(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    stack.emulator.control("POST", "webhooks/pause")
    appointment, payment = stack.charged(stack.create_appointment(professional, patient)["id"])
    stack.emulator.confirm(payment["id"])
    # Both events are queued; now deliver newest first, each one twice.
    stack.emulator.faults(duplicate_webhooks=True, reorder_webhooks=True)
    stack.emulator.control("POST", "webhooks/resume")
    stack.emulator.flush()

    log = stack.emulator.webhooks()["events"]
    sent = [e for e in log if e["paymentId"] == payment["id"]]
    assert {e["event"] for e in sent} == {"PAYMENT_CREATED", "PAYMENT_RECEIVED"}
    assert all(e["deliveries"] == 2 for e in sent), sent

    stored = WebhookEvent.objects.filter(asaas_payment_id=payment["id"])
    assert stored.count() == 2
    assert sorted(stored.values_list("event_id", flat=True)) == sorted(e["id"] for e in sent)
    received = stored.get(event_type="PAYMENT_RECEIVED")
    late_created = stored.get(event_type="PAYMENT_CREATED")
    assert received.received_at < late_created.received_at  # really delivered out of order
    # Stored, answered, then processed: the answer the flush waited for comes first.
    wait_until(
        lambda: WebhookEvent.objects.get(pk=received.pk).outcome == "PROCESSED",
        message="the PAYMENT_RECEIVED to be processed",
    )
    # Not a next step: a task re-reads the payment from Asaas, then it is processed too.
    wait_until(
        lambda: WebhookEvent.objects.get(pk=late_created.pk).outcome == "PROCESSED",
        message="the late PAYMENT_CREATED to be converged",
    )

    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.status == "PAID"
    to_paid = PaymentTransaction.objects.filter(
        appointment=appointment, transaction_type="WEBHOOK", response_payload__to="PAID"
    )
    assert to_paid.count() == 1
    wait_until(lambda: notify_succeeded(stack.worker_log()), message="the confirmation e-mail")
    assert notify_succeeded(stack.worker_log()) == 1


def test_webhook_without_the_right_token_is_refused_and_retried(stack: Stack) -> None:
    body = {
        "id": "evt_00000000000000000000000000000000&1",
        "event": "PAYMENT_RECEIVED",
        "dateCreated": "2025-07-15 10:00:00",
        "payment": {"id": "pay_000000000000", "externalReference": "appointment-1"},
    }
    for headers in ({}, {"asaas-access-token": "wrong"}, {"asaas-access-token": ""}):
        response = stack.post_webhook(body, headers)
        assert response.status_code == 401, (headers, response.text)
    assert not WebhookEvent.objects.exists()

    professional = stack.create_professional()
    patient = stack.create_patient()
    # A wrong token, and Asaas's retry penalties (30 s ... 3 h) shrunk to well under a second.
    stack.emulator.control(
        "POST", "config", webhook_token="not-" + WEBHOOK_TOKEN, webhook_retry_scale=0.00001
    )
    appointment, payment = stack.charged(stack.create_appointment(professional, patient)["id"])
    stack.emulator.confirm(payment["id"])

    def refused_attempts() -> list[int | None]:
        events = stack.emulator.webhooks()["events"]
        codes: list[int | None] = [a["statusCode"] for e in events for a in e["attempts"]]
        return codes if len(codes) >= 3 else []

    codes = wait_until(refused_attempts, message="the emulator to retry the refused webhook")
    assert set(codes) == {401}, codes
    # Like Asaas, the emulator pauses its queue after 15 consecutive failures.
    log = wait_until(lambda: (w := stack.emulator.webhooks())["interrupted"] and w)
    assert log["consecutiveFailures"] == 15
    assert not WebhookEvent.objects.exists()
    assert Appointment.objects.get(pk=appointment.pk).status == "PROCESSING"

    # With the token fixed, the queued events are delivered (at least once) and applied.
    stack.emulator.control("POST", "config", webhook_token=WEBHOOK_TOKEN)
    stack.emulator.control("POST", "webhooks/resume")
    stack.wait_status(appointment.pk, "PAID")


def test_emulator_errors_then_recovery_make_exactly_one_charge(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    stack.emulator.faults(error_rate=1.0)
    created = stack.create_appointment(professional, patient)

    def failed_once() -> Appointment | None:
        # The attempt counts from the claim; the failure is recorded once Asaas answered.
        appointment = Appointment.objects.get(pk=created["id"])
        return appointment if appointment.last_payment_error else None

    failed = wait_until(failed_once, message="a failed charge attempt")
    assert failed.status == "PENDING"
    assert failed.last_payment_error
    assert stack.emulator.state()["counts"]["payments"] == 0

    stack.emulator.faults(error_rate=0.0)
    appointment, _ = stack.charged(created["id"])
    assert appointment.payment_attempts >= 2
    assert appointment.last_payment_error == ""
    assert stack.emulator.state()["counts"]["payments"] == 1
    assert transaction_types(appointment)["CHARGE"] == 1
    assert transaction_types(appointment, succeeded=False)["CHARGE"] >= 1
    assert "Retry in" in stack.worker_log()


def test_emulator_hang_after_create_still_makes_one_charge(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    # Keep webhooks back, so the worker's retry (not PAYMENT_CREATED) must find the charge.
    stack.emulator.control("POST", "webhooks/pause")
    stack.emulator.faults(hang_after_create_seconds=3.5)
    created = stack.create_appointment(professional, patient)
    appointment, payment = stack.charged(created["id"])
    counts = stack.emulator.state()["counts"]
    assert (counts["payments"], counts["customers"]) == (1, 1)
    assert appointment.payment_attempts >= 2
    assert transaction_types(appointment)["CHARGE"] == 1
    assert transaction_types(appointment, succeeded=False)["CHARGE"] >= 1
    assert "charge adopted" in stack.worker_log()
    assert appointment.patient is not None
    assert appointment.patient.asaas_customer_id == payment["customer"]

    stack.emulator.faults(hang_after_create_seconds=0)
    stack.emulator.control("POST", "webhooks/resume")
    stack.emulator.flush()
    # Answered RECEIVED at once; the worker then processes it.
    wait_until(
        lambda: WebhookEvent.objects.get(asaas_payment_id=payment["id"]).outcome == "PROCESSED",
        message="PAYMENT_CREATED to be processed",
    )
    created_event = WebhookEvent.objects.get(asaas_payment_id=payment["id"])
    assert created_event.event_type == "PAYMENT_CREATED"
    assert created_event.outcome == "PROCESSED"  # says what the adoption already recorded
    assert Appointment.objects.get(pk=appointment.pk).status == "PROCESSING"


def test_cancel_deletes_the_charge(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    appointment, payment = stack.charged(stack.create_appointment(professional, patient)["id"])

    result = stack.api("POST", f"appointments/{appointment.pk}/cancel_payment/")
    assert result["status"] == "CANCELED"
    assert Appointment.objects.get(pk=appointment.pk).status == "CANCELED"
    [at_asaas] = [p for p in stack.emulator.payments() if p["id"] == payment["id"]]
    assert at_asaas["deleted"] is True
    stack.emulator.flush()
    wait_until(
        lambda: (
            WebhookEvent.objects.get(
                asaas_payment_id=payment["id"], event_type="PAYMENT_DELETED"
            ).outcome
            == "PROCESSED"
        ),
        message="PAYMENT_DELETED to be processed",
    )
    assert transaction_types(appointment)["CANCELLATION"] == 1
    # Paying is no longer possible at Asaas, and cancelling twice is refused here.
    stack.api("POST", f"appointments/{appointment.pk}/cancel_payment/", expected=400)


def test_full_and_partial_refunds(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()

    full = stack.paid(professional, patient)
    result = stack.api("POST", f"appointments/{full.pk}/refund/", json={})
    assert (result["status"], money(result["refunded_amount"])) == ("REFUNDED", Decimal("100.00"))
    [at_asaas] = [p for p in stack.emulator.payments() if p["id"] == full.asaas_payment_id]
    assert at_asaas["status"] == "REFUNDED"

    partial = stack.paid(professional, patient)
    result = stack.api("POST", f"appointments/{partial.pk}/refund/", json={"amount": "30.00"})
    assert (result["status"], money(result["refunded_amount"])) == ("PAID", Decimal("30.00"))
    [at_asaas] = [p for p in stack.emulator.payments() if p["id"] == partial.asaas_payment_id]
    assert [money(r["value"]) for r in at_asaas["refunds"]] == [Decimal("30.00")]
    # A second refund may take at most what is left.
    stack.api("POST", f"appointments/{partial.pk}/refund/", 400, json={"amount": "70.01"})

    stack.emulator.flush()  # the refund webhooks change nothing already applied
    for appointment, status, refunded in (
        (full, "REFUNDED", Decimal("100.00")),
        (partial, "PAID", Decimal("30.00")),
    ):
        appointment.refresh_from_db()
        assert (appointment.status, appointment.refunded_amount) == (status, refunded)
        # Counted once, whichever got there first: our refund call or Asaas's webhook.
        refunds = refund_rows(appointment)
        assert [row.amount for row in refunds] == [refunded]
    events = WebhookEvent.objects.filter(event_type__in=REFUND_EVENTS).order_by("received_at")
    assert [(e.event_type, e.asaas_payment_id) for e in events] == [
        ("PAYMENT_REFUNDED", full.asaas_payment_id),
        ("PAYMENT_PARTIALLY_REFUNDED", partial.asaas_payment_id),
    ]


def test_partial_refund_is_counted_once_in_the_ledger(stack: Stack) -> None:
    professional = stack.create_professional()
    partial = stack.paid(professional, stack.create_patient())
    stack.api("POST", f"appointments/{partial.pk}/refund/", json={"amount": "30.00"})
    stack.emulator.flush()
    amounts = list(refund_rows(partial).values_list("amount", flat=True))
    assert sum(filter(None, amounts), Decimal("0.00")) == Decimal("30.00"), amounts


def test_cancel_and_refund_through_the_api_email_the_patient(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    refunded = stack.paid(professional, patient)
    stack.api("POST", f"appointments/{refunded.pk}/refund/", json={})
    canceled, _ = stack.charged(stack.create_appointment(professional, patient)["id"])
    stack.api("POST", f"appointments/{canceled.pk}/cancel_payment/")
    stack.emulator.flush()
    # One queue, one worker: once this no-op notification is done, every earlier one is too.
    appointment_notify_task.delay(canceled.pk, "NOT_A_STATUS")
    wait_until(lambda: notify_succeeded(stack.worker_log(), "False"), message="the worker")
    assert notify_succeeded(stack.worker_log()) == 3  # paid, refunded, canceled


def test_sweeper_charges_an_appointment_whose_enqueue_was_lost(stack: Stack) -> None:
    professional = stack.create_professional()
    patient = stack.create_patient()
    # Booked without a charge, then turned into a billed PENDING one behind the signal's back:
    # exactly what a broker outage at commit time leaves behind.
    created = stack.api(
        "POST",
        "appointments/",
        201,
        json={"date": stack.next_slot().isoformat(), "professional": professional.pk},
    )
    assert created["status"] == "NOT_BILLED"
    Appointment.objects.filter(pk=created["id"]).update(
        status="PENDING",
        patient_id=patient["id"],
        total_amount=Decimal("100.00"),
        payment_method="PIX",
        due_date=created["date"][:10],
    )
    assert stack.emulator.state()["counts"]["payments"] == 0

    sweep_unsubmitted_charges_task.delay()
    appointment, payment = stack.charged(created["id"])
    assert payment["externalReference"] == f"appointment-{appointment.pk}"
    assert "sweeper re-enqueued 1 charges" in stack.worker_log()
    assert stack.emulator.state()["counts"]["payments"] == 1
