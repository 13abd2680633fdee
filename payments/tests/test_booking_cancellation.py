"""Cancelling a booking settles its payment through the charge actions (emulator over HTTP):
the task runs after commit, outside any transaction, and is safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from appointments import lifecycle
from appointments.lifecycle import booking_cancellation_settle, booking_transition
from appointments.models import Appointment, BookingStatus, PaymentStatus
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit

from .conftest import ChargeWorld, EmulatorControl

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("asaas_settings")]


def charged(world: ChargeWorld, asaas: AsaasService) -> Appointment:
    charge_submit(appointment_id=world.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=world.appointment.pk)
    assert appointment.status == PaymentStatus.PROCESSING
    return appointment


def paid(world: ChargeWorld, asaas: AsaasService, client: APIClient) -> Appointment:
    appointment = charged(world, asaas)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    response = client.get(
        f"/api/appointments/{appointment.pk}/payment_status/", {"refresh": "true"}
    )
    assert response.json()["status"] == PaymentStatus.PAID
    return Appointment.objects.get(pk=appointment.pk)


def cancel(
    client: APIClient, appointment: Appointment, by: str, captured: Any
) -> tuple[Any, list[Any]]:
    with captured(execute=False) as callbacks:
        response = client.post(
            f"/api/appointments/{appointment.pk}/cancel/", {"by": by}, format="json"
        )
    return response, callbacks


def test_professional_cancelling_a_paid_appointment_refunds_it_in_full(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appointment = paid(billed, asaas, staff_client)

    response, callbacks = cancel(
        staff_client, appointment, "PROFESSIONAL", django_capture_on_commit_callbacks
    )

    assert response.status_code == 200, response.content
    assert response.json()["booking_status"] == BookingStatus.CANCELLED_BY_PROFESSIONAL
    assert response.json()["status"] == PaymentStatus.PAID  # the task refunds, not the request
    assert len(callbacks) == 1  # the settle task, enqueued on commit
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.SETTLED
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.NOTHING_TO_DO
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.REFUNDED
    assert appointment.refunded_amount == Decimal("100.00")
    [at_asaas] = emulator_control.payments()
    assert at_asaas["status"] == "REFUNDED"


def test_patient_cancelling_late_keeps_the_payment(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appointment = paid(billed, asaas, staff_client)
    hours_ahead = (appointment.date - timezone.now()) / dt.timedelta(hours=1)
    settings.BOOKING_FULL_REFUND_HOURS = int(hours_ahead) + 1

    response, callbacks = cancel(
        staff_client, appointment, "PATIENT", django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    assert callbacks == []
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.NOTHING_TO_DO
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID
    events = staff_client.get(f"/api/appointments/{appointment.pk}/booking_events/").json()
    assert events[-1]["payment_action"] == lifecycle.NO_REFUND


def test_patient_cancelling_in_time_is_refunded(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BOOKING_FULL_REFUND_HOURS = 24  # the appointment is weeks ahead
    appointment = paid(billed, asaas, staff_client)

    _response, callbacks = cancel(
        staff_client, appointment, "PATIENT", django_capture_on_commit_callbacks
    )

    assert len(callbacks) == 1
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.SETTLED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.REFUNDED


def test_cancelling_an_unpaid_billed_appointment_cancels_its_charge(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appointment = charged(billed, asaas)

    _response, callbacks = cancel(
        staff_client, appointment, "PATIENT", django_capture_on_commit_callbacks
    )

    assert len(callbacks) == 1
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.SETTLED
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.NOTHING_TO_DO
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.CANCELED
    assert emulator_control.payments() == []  # deleted at Asaas


def test_a_charge_never_submitted_is_cancelled_locally(billed: ChargeWorld) -> None:
    booking_transition(
        appointment_id=billed.appointment.pk, target=BookingStatus.CANCELLED_BY_PROFESSIONAL
    )

    assert booking_cancellation_settle(appointment_id=billed.appointment.pk) == lifecycle.SETTLED
    assert Appointment.objects.get(pk=billed.appointment.pk).status == PaymentStatus.CANCELED


def test_asaas_down_means_retry_later(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
) -> None:
    appointment = paid(billed, asaas, staff_client)
    booking_transition(
        appointment_id=appointment.pk, target=BookingStatus.CANCELLED_BY_PROFESSIONAL
    )
    emulator_control.faults(error_rate=1.0)

    outcome = booking_cancellation_settle(appointment_id=appointment.pk)

    emulator_control.faults(error_rate=0.0)
    assert outcome == lifecycle.RETRY
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID
    assert booking_cancellation_settle(appointment_id=appointment.pk) == lifecycle.SETTLED
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.REFUNDED


def test_a_cancellation_whose_hand_off_was_lost_is_settled_by_the_sweeper(
    staff_client: APIClient,
    billed: ChargeWorld,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    from unittest import mock

    from appointments.tasks import (
        booking_cancellation_settle_task,
        sweep_unsettled_cancellations_task,
    )

    appointment = charged(billed, asaas)
    cancel(staff_client, appointment, "PATIENT", django_capture_on_commit_callbacks)  # not run
    settings.PAYMENT_SWEEP_AFTER_SECONDS = 0

    with mock.patch.object(booking_cancellation_settle_task, "delay") as delay:
        assert sweep_unsettled_cancellations_task() == 1
    delay.assert_called_once_with(appointment.pk)

    booking_cancellation_settle(appointment_id=appointment.pk)
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.CANCELED
    assert sweep_unsettled_cancellations_task() == 0  # settled: nothing left
