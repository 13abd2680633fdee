"""Signals enqueue only after commit; the periodic and notification tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, Patient, PaymentStatus
from appointments.services import appointment_create
from payments.models import Charge
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.tasks import (
    appointment_notify_task,
    create_asaas_charge_task,
    process_webhook_event_task,
    sweep_unsubmitted_charges_task,
    sync_stale_charges_task,
    webhook_processing_request,
)
from professionals.models import Professional

from .conftest import PATIENT_EMAIL, ChargeWorld, EmulatorControl, next_slot

pytestmark = pytest.mark.django_db


def charge_callbacks(callbacks: list[Callable[[], Any]]) -> list[tuple[Any, ...]]:
    return [
        c.args
        for c in callbacks
        if isinstance(c, partial) and c.func == create_asaas_charge_task.delay
    ]


# --- signals ----------------------------------------------------------------------------------


def test_a_billed_appointment_enqueues_its_charge_once_after_commit(
    chargeable_professional: Professional,
    patient: Patient,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        appointment = appointment_create(
            professional=chargeable_professional,
            patient=patient,
            date=next_slot(),
            total_amount=Decimal("100.00"),
        )

    assert charge_callbacks(callbacks) == [(appointment.pk,)]

    with (
        mock.patch.object(create_asaas_charge_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = appointment_create(
            professional=chargeable_professional,
            patient=patient,
            date=next_slot(),
            total_amount=Decimal("50.00"),
        )
    delay.assert_called_once_with(second.pk)


def test_a_not_billed_appointment_enqueues_nothing(
    chargeable_professional: Professional, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        appointment_create(professional=chargeable_professional, date=next_slot())

    assert charge_callbacks(callbacks) == []


def test_a_rolled_back_transaction_enqueues_nothing(
    chargeable_professional: Professional,
    patient: Patient,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    class Abort(Exception):
        pass

    def book_then_fail() -> None:
        with transaction.atomic():
            appointment_create(
                professional=chargeable_professional,
                patient=patient,
                date=next_slot(),
                total_amount=Decimal("100.00"),
            )
            raise Abort

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Abort):
        book_then_fail()

    assert callbacks == []
    assert Appointment.objects.count() == 0


def test_a_charged_appointment_saved_again_enqueues_nothing(
    billed: ChargeWorld, asaas: AsaasService, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=billed.appointment.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        appointment.save()

    assert charge_callbacks(callbacks) == []


# --- sweeper ----------------------------------------------------------------------------------


@pytest.fixture
def mixed(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> dict[str, Appointment]:
    def billed(status: str, payment_id: str | None = None) -> Appointment:
        appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)
        Appointment.objects.filter(pk=appointment.pk).update(
            status=status, asaas_payment_id=payment_id
        )
        return appointment

    return {
        "pending": billed(PaymentStatus.PENDING),
        "pending_with_charge": billed(PaymentStatus.PENDING, "pay_already_there"),
        "processing": billed(PaymentStatus.PROCESSING, "pay_processing"),
        "failed": billed(PaymentStatus.FAILED),
        "canceled": billed(PaymentStatus.CANCELED),
        "not_billed": appointment_create(professional=chargeable_professional, date=next_slot()),
    }


def test_the_sweeper_re_enqueues_only_unsubmitted_pending_charges(
    mixed: dict[str, Appointment], settings: Any
) -> None:
    settings.PAYMENT_SWEEP_AFTER_SECONDS = 0
    Appointment.objects.update(updated_at=timezone.now() - dt.timedelta(seconds=1))

    with mock.patch.object(create_asaas_charge_task, "delay") as delay:
        count = sweep_unsubmitted_charges_task.apply().get()

    assert count == 1
    delay.assert_called_once_with(mixed["pending"].pk)


def test_the_sweeper_leaves_recent_pending_charges_to_the_after_commit_enqueue(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
    settings: Any,
) -> None:
    settings.PAYMENT_SWEEP_AFTER_SECONDS = 120
    recent = make_billed_appointment(professional=chargeable_professional, patient=patient)
    old = make_billed_appointment(professional=chargeable_professional, patient=patient)
    Appointment.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=10)
    )

    with mock.patch.object(create_asaas_charge_task, "delay") as delay:
        count = sweep_unsubmitted_charges_task()

    assert count == 1
    delay.assert_called_once_with(old.pk)
    assert recent.pk not in [c.args[0] for c in delay.call_args_list]


# --- charge task ------------------------------------------------------------------------------


def test_the_charge_task_creates_the_charge_and_is_idempotent(
    billed: ChargeWorld, asaas_settings: Any, emulator_control: EmulatorControl
) -> None:
    first = create_asaas_charge_task.apply(args=(billed.appointment.pk,))
    second = create_asaas_charge_task.apply(args=(billed.appointment.pk,))

    assert first.get() == PaymentStatus.PROCESSING
    assert second.get() == PaymentStatus.PROCESSING
    assert len(emulator_control.payments()) == 1
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    assert appointment.asaas_payment_id == emulator_control.payments()[0]["id"]
    assert appointment.payment_attempts == 1


def test_the_charge_task_for_a_missing_appointment_does_nothing(asaas_settings: Any) -> None:
    assert create_asaas_charge_task.apply(args=(987654,)).get() == "MISSING"


# --- stale sync -------------------------------------------------------------------------------


def test_the_stale_sync_reads_old_processing_charges_from_asaas(
    billed: ChargeWorld,
    make_billed_appointment: Callable[..., Appointment],
    asaas: AsaasService,
    asaas_settings: Any,
    settings: Any,
) -> None:
    settings.PAYMENT_SYNC_AFTER_HOURS = 24
    fresh = make_billed_appointment(professional=billed.professional, patient=billed.patient)
    for appointment in (billed.appointment, fresh):
        charge_submit(appointment_id=appointment.pk, asaas=asaas)
        appointment.refresh_from_db()
        assert appointment.asaas_payment_id is not None
        asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    Charge.objects.filter(appointment_id=billed.appointment.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=25)
    )

    synced = sync_stale_charges_task.apply().get()

    assert synced == 1
    assert Appointment.objects.get(pk=billed.appointment.pk).status == PaymentStatus.PAID
    assert Appointment.objects.get(pk=fresh.pk).status == PaymentStatus.PROCESSING


def test_the_stale_sync_survives_asaas_being_down(
    billed: ChargeWorld,
    asaas: AsaasService,
    asaas_settings: Any,
    emulator_control: EmulatorControl,
    settings: Any,
) -> None:
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    Charge.objects.filter(appointment_id=billed.appointment.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=48)
    )
    settings.ASAAS_TIMEOUT = 1
    emulator_control.faults(error_rate=1.0)

    assert sync_stale_charges_task() == 0
    assert Appointment.objects.get(pk=billed.appointment.pk).status == PaymentStatus.PROCESSING


# --- notifications ----------------------------------------------------------------------------


@pytest.fixture
def paid_appointment(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> Appointment:
    appointment = make_billed_appointment(professional=chargeable_professional, patient=patient)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=PaymentStatus.PAID, asaas_payment_id="pay_paid_0001", paid_at=timezone.now()
    )
    appointment.refresh_from_db()
    return appointment


def test_paid_sends_one_email_in_portuguese(paid_appointment: Appointment, mailoutbox: Any) -> None:
    sent = appointment_notify_task.apply(args=(paid_appointment.pk, PaymentStatus.PAID)).get()

    assert sent is True
    [email] = mailoutbox
    assert email.to == [PATIENT_EMAIL]
    assert email.subject == "[Medical API] Pagamento confirmado"
    assert email.body.startswith("Olá, Zuleica")
    assert "pago" in email.body
    assert "R$ 100.00" in email.body or "R$ 100,00" in email.body


def test_no_email_when_the_status_moved_on(paid_appointment: Appointment, mailoutbox: Any) -> None:
    Appointment.objects.filter(pk=paid_appointment.pk).update(status=PaymentStatus.REFUNDED)

    sent = appointment_notify_task(paid_appointment.pk, PaymentStatus.PAID)

    assert sent is False
    assert mailoutbox == []


def test_no_email_when_the_patient_has_none(paid_appointment: Appointment, mailoutbox: Any) -> None:
    assert paid_appointment.patient_id is not None
    Patient.objects.filter(pk=paid_appointment.patient_id).update(email="")

    assert appointment_notify_task(paid_appointment.pk, PaymentStatus.PAID) is False
    assert mailoutbox == []


def test_no_email_for_statuses_that_are_not_announced(
    paid_appointment: Appointment, mailoutbox: Any
) -> None:
    Appointment.objects.filter(pk=paid_appointment.pk).update(status=PaymentStatus.PROCESSING)

    assert appointment_notify_task(paid_appointment.pk, PaymentStatus.PROCESSING) is False
    assert appointment_notify_task(987654, PaymentStatus.PAID) is False
    assert mailoutbox == []


def test_a_paid_webhook_enqueues_the_notification_after_commit(
    paid_appointment: Appointment,
    api_client: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.ASAAS_WEBHOOK_TOKEN = "tok-notify"
    Appointment.objects.filter(pk=paid_appointment.pk).update(status=PaymentStatus.PROCESSING)
    body = {
        "id": "evt_notify_1",
        "event": "PAYMENT_RECEIVED",
        "payment": {
            "id": paid_appointment.asaas_payment_id,
            "externalReference": f"appointment-{paid_appointment.pk}",
            "status": "RECEIVED",
        },
    }
    with django_capture_on_commit_callbacks() as answered:
        response = api_client.post(
            "/api/payments/webhooks/asaas/",
            body,
            format="json",
            HTTP_ASAAS_ACCESS_TOKEN="tok-notify",
        )

    # Stored and answered; the processing is enqueued once the store commits.
    assert response.json()["outcome"] == "RECEIVED"
    [enqueued] = [
        c.args for c in answered if isinstance(c, partial) and c.func == webhook_processing_request
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        assert process_webhook_event_task(*enqueued) == "PROCESSED"  # as the worker runs it
    notify = [
        c.args
        for c in callbacks
        if isinstance(c, partial) and c.func == appointment_notify_task.delay
    ]
    assert notify == [(paid_appointment.pk, PaymentStatus.PAID)]
