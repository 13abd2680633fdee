"""Row locks under real concurrency (PostgreSQL): one charge, one transition."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from appointments.models import Appointment, Patient, PaymentStatus
from payments.emulator import EmulatorServer
from payments.models import PaymentTransaction, TransactionType
from payments.services.charges import charge_submit
from payments.services.webhooks import webhook_event_process, webhook_event_store
from payments.tasks import create_asaas_charge_task
from professionals.models import Professional

from .conftest import EmulatorControl, build_asaas

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_broker() -> Iterator[None]:
    # Commits are real here, so the post_save hand-off would publish: stop at the broker.
    with mock.patch.object(create_asaas_charge_task, "delay"):
        yield


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=5)
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_concurrent_charge_runs_make_exactly_one_charge(
    emulator: EmulatorServer,
    emulator_control: EmulatorControl,
    make_professional: Callable[..., Professional],
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_billed_appointment(professional=make_professional(), patient=patient)
    emulator_control.faults(latency_ms=150)  # keep the first worker inside its lock a while

    def charge(_index: int) -> str:
        client = build_asaas(emulator)
        try:
            return charge_submit(appointment_id=appointment.pk, asaas=client).status
        finally:
            client.close()

    statuses = run_together(4, charge)

    # Nobody waits behind a lock held across HTTP: one run creates the charge, the others see
    # the claim (or the customer being created) and come back later.
    assert PaymentStatus.PROCESSING in statuses
    assert set(statuses) <= {PaymentStatus.PROCESSING, PaymentStatus.PENDING}
    assert len(emulator_control.payments()) == 1
    assert emulator_control.state()["counts"]["customers"] == 1
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PROCESSING
    assert appointment.payment_attempts == 1
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.CHARGE
        ).count()
        == 1
    )


def test_concurrent_webhooks_for_one_charge_make_one_transition(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=PaymentStatus.PROCESSING, asaas_payment_id="pay_concurrent"
    )
    payment = {
        "id": "pay_concurrent",
        "externalReference": f"appointment-{appointment.pk}",
        "status": "RECEIVED",
    }
    events = [
        webhook_event_store(
            payload={"id": f"evt_c{i}", "event": "PAYMENT_RECEIVED", "payment": payment}
        )[0].pk
        for i in range(6)
    ]

    outcomes = run_together(len(events), lambda i: webhook_event_process(event_id=events[i]))

    # One applies it; the others find it already applied (redeliveries under new ids).
    assert outcomes == ["PROCESSED"] * 6
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID
    assert (
        PaymentTransaction.objects.filter(
            appointment=appointment, transaction_type=TransactionType.WEBHOOK
        ).count()
        == 1
    )


def test_webhook_for_a_locked_appointment_answers_at_once_and_defers(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
    settings: Any,
) -> None:
    """A worker holding the appointment's row lock (creating its charge) must not make the
    webhook request wait: the event is stored, answered 200, and finished by a task."""
    from django.db import transaction
    from rest_framework.test import APIClient

    from payments.models import WebhookEvent, WebhookOutcome
    from payments.tasks import process_webhook_event_task

    settings.ASAAS_WEBHOOK_TOKEN = "lock-test-token-0123456789abcdef"
    Patient.objects.filter(pk=patient.pk).update(asaas_customer_id="cus_lock")
    appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Appointment.objects.select_for_update().get(pk=appointment.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=5)
    body = {
        "id": "evt_lock&1",
        "event": "PAYMENT_RECEIVED",
        "dateCreated": "2030-01-01 10:00:00",
        "payment": {
            "id": "pay_lock",
            "externalReference": f"appointment-{appointment.pk}",
            "customer": "cus_lock",
            "value": str(appointment.total_amount),
            "status": "RECEIVED",
        },
    }
    try:
        with mock.patch.object(process_webhook_event_task, "delay") as deferred:
            response = APIClient().post(
                "/api/payments/webhooks/asaas/",
                body,
                format="json",
                HTTP_ASAAS_ACCESS_TOKEN=settings.ASAAS_WEBHOOK_TOKEN,
            )
    finally:
        release.set()
        holder.join(timeout=10)
    assert response.status_code == 200
    event = WebhookEvent.objects.get(event_id="evt_lock&1")
    assert event.outcome == WebhookOutcome.RECEIVED
    deferred.assert_called_once_with(event.pk)
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PENDING
    # The task, once the lock is free, applies it.
    assert process_webhook_event_task.apply(args=(event.pk,)).get() == WebhookOutcome.PROCESSED
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID


def test_bookings_for_one_patient_never_wait_on_or_deadlock_with_charge_creation(
    emulator: EmulatorServer,
    emulator_control: EmulatorControl,
    make_professional: Callable[..., Professional],
    patient: Patient,
) -> None:
    """The measured bug: 9 of 20 consecutive bookings (a weekly series) returned 500 because
    booking and charge creation each held a lock the other needed, across HTTP to Asaas."""
    from decimal import Decimal

    from appointments.services import appointment_create

    from .conftest import next_slot

    professional = make_professional()
    emulator_control.faults(latency_ms=100)  # every Asaas call is slow
    booked: list[int] = []
    done = threading.Event()

    def book(_index: int) -> int:
        try:
            for _ in range(20):
                booked.append(
                    appointment_create(
                        professional=professional,
                        patient=patient,
                        date=next_slot(),
                        total_amount=Decimal("100.00"),
                    ).pk
                )
            return len(booked)
        finally:
            done.set()

    def charge(_index: int) -> int:
        client = build_asaas(emulator)
        charged: set[int] = set()
        try:
            while not done.is_set() or len(charged) < len(booked):
                for appointment_id in list(booked):
                    if appointment_id not in charged:
                        outcome = charge_submit(appointment_id=appointment_id, asaas=client)
                        if outcome.status == PaymentStatus.PROCESSING:
                            charged.add(appointment_id)
            return len(charged)
        finally:
            client.close()

    results = run_together(2, lambda i: book(i) if i == 0 else charge(i))

    assert results == [20, 20]
    appointments = Appointment.objects.filter(pk__in=booked)
    assert {a.status for a in appointments} == {PaymentStatus.PROCESSING}
    assert all(a.platform_amount is not None for a in appointments)
    assert len(emulator_control.payments()) == 20
    assert emulator_control.state()["counts"]["customers"] == 1
