"""Charges are enqueued on intent only; backoff holds; stale writers and the admin cannot
write payment state."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from appointments.models import Appointment, Patient, PaymentStatus
from appointments.services import appointment_create, appointment_update
from payments.models import Charge, ChargeStatus
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.tasks import create_asaas_charge_task
from professionals.models import Professional

from .conftest import ChargeWorld, EmulatorControl, next_slot

pytestmark = pytest.mark.django_db


def enqueued(callbacks: list[Any]) -> list[int]:
    return [
        c.args[0] for c in callbacks if getattr(c, "func", None) == create_asaas_charge_task.delay
    ]


def test_a_billable_booking_enqueues_its_charge_once(
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
    assert enqueued(callbacks) == [appointment.pk]

    # Editing a non-billing field later is not a request for a charge.
    with django_capture_on_commit_callbacks() as callbacks:
        appointment_update(appointment=appointment, data={"duration_minutes": 45})
    assert enqueued(callbacks) == []


def test_becoming_billable_is_an_intent(
    chargeable_professional: Professional,
    patient: Patient,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    appointment = appointment_create(professional=chargeable_professional, date=next_slot())
    assert appointment.status == PaymentStatus.NOT_BILLED

    with django_capture_on_commit_callbacks() as callbacks:
        appointment_update(
            appointment=appointment, data={"patient": patient, "total_amount": Decimal("80.00")}
        )
    assert enqueued(callbacks) == [appointment.pk]


def test_the_charge_services_own_writes_enqueue_nothing(
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    emulator_control.faults(error_rate=1.0)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    assert outcome.retry_in is not None  # Celery owns the retry...
    assert enqueued(callbacks) == []  # ...and no post_save re-enqueues on top of it


@pytest.mark.real_backoff
def test_a_duplicate_run_does_not_defeat_the_backoff(
    billed: ChargeWorld, asaas: AsaasService, emulator_control: EmulatorControl, settings: Any
) -> None:
    settings.PAYMENT_RETRY_BACKOFF_SECONDS = 60
    emulator_control.faults(error_rate=1.0)
    first = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)
    assert first.retry_in is not None
    assert first.retry_in >= 1
    calls = emulator_control.state()["counts"]
    emulator_control.faults(error_rate=0.0)

    early = charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)

    assert early.retry_in is not None
    assert early.retry_in >= 1
    assert emulator_control.payments() == []  # nothing sent to Asaas before its time
    assert emulator_control.state()["counts"] == calls
    assert Charge.objects.get(appointment=billed.appointment).attempts == 1


def test_a_stale_instance_cannot_write_back_payment_fields(
    billed: ChargeWorld, asaas: AsaasService
) -> None:
    stale = Appointment.objects.get(pk=billed.appointment.pk)  # read before the charge
    charge_submit(appointment_id=billed.appointment.pk, asaas=asaas)

    updated = appointment_update(appointment=stale, data={"duration_minutes": 50})

    assert updated.status == PaymentStatus.PROCESSING
    fresh = Appointment.objects.get(pk=billed.appointment.pk)
    assert fresh.status == PaymentStatus.PROCESSING
    assert fresh.asaas_payment_id is not None
    assert fresh.duration_minutes == 50


def _admin_form(appointment: Appointment, **changes: Any) -> dict[str, Any]:
    from django.utils import timezone

    local = timezone.localtime(appointment.date)
    data = {
        "date_0": local.strftime("%d/%m/%Y"),
        "date_1": local.strftime("%H:%M:%S"),
        "duration_minutes": appointment.duration_minutes,
        "professional": appointment.professional_id,
        "patient": appointment.patient_id or "",
        "total_amount": appointment.total_amount or "",
        "payment_method": appointment.payment_method,
        "due_date": appointment.due_date.strftime("%d/%m/%Y") if appointment.due_date else "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_billing_changes_after_a_charge_and_revert_keeps_payment_fields(
    admin_client: Client, billed: ChargeWorld, asaas: AsaasService
) -> None:
    appointment = Appointment.objects.get(pk=billed.appointment.pk)
    history_before_charge = appointment.history.latest()
    charge_submit(appointment_id=appointment.pk, asaas=asaas)
    charged = Appointment.objects.get(pk=appointment.pk)
    url = f"/admin/appointments/appointment/{appointment.pk}/change/"

    refused = admin_client.post(url, _admin_form(charged, total_amount="1.00"))
    assert refused.status_code == 200  # the form again, with the error
    assert Appointment.objects.get(pk=appointment.pk).total_amount == Decimal("100.00")

    revert_url = (
        f"/admin/appointments/appointment/{appointment.pk}/history/"
        f"{history_before_charge.history_id}/"
    )
    admin_client.post(revert_url, _admin_form(charged))
    after = Appointment.objects.get(pk=appointment.pk)
    assert after.status == PaymentStatus.PROCESSING
    assert after.asaas_payment_id == charged.asaas_payment_id
    assert Charge.objects.get(appointment=appointment).status == ChargeStatus.AWAITING_PAYMENT
