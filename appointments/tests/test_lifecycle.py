"""The booking lifecycle: one table of steps, who and when, filters, slot freeing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from appointments import lifecycle
from appointments.lifecycle import TRANSITIONS, booking_payment_action, booking_transition
from appointments.models import Appointment, BookingEvent, BookingStatus, PaymentStatus
from core.exceptions import BusinessRuleError, ConflictError
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db
B = BookingStatus


def url(appointment: Appointment, action: str) -> str:
    return f"/api/appointments/{appointment.pk}/{action}/"


def test_the_table_is_the_documented_lifecycle() -> None:
    assert set(TRANSITIONS) == {
        (B.SCHEDULED, B.CONFIRMED),
        (B.SCHEDULED, B.CANCELLED_BY_PATIENT),
        (B.SCHEDULED, B.CANCELLED_BY_PROFESSIONAL),
        (B.CONFIRMED, B.CANCELLED_BY_PATIENT),
        (B.CONFIRMED, B.CANCELLED_BY_PROFESSIONAL),
        (B.CONFIRMED, B.COMPLETED),
        (B.CONFIRMED, B.NO_SHOW),
    }
    terminal = {B.COMPLETED, B.NO_SHOW, B.CANCELLED_BY_PATIENT, B.CANCELLED_BY_PROFESSIONAL}
    assert not {source for source, _target in TRANSITIONS} & terminal


@pytest.mark.parametrize("source", list(B))
@pytest.mark.parametrize("target", list(B))
def test_every_pair_follows_the_table(source: str, target: str) -> None:
    now = timezone.now()
    # A past appointment for after_start steps, a future one otherwise.
    rule = TRANSITIONS.get((source, target))
    start = now - dt.timedelta(minutes=10) if rule == "after_start" else now + dt.timedelta(days=3)
    appointment = AppointmentFactory.create(date=start, duration_minutes=60, booking_status=source)

    if rule is None:
        with pytest.raises(ConflictError):
            booking_transition(appointment_id=appointment.pk, target=target)
        appointment.refresh_from_db()
        assert appointment.booking_status == source
        assert not BookingEvent.objects.exists()
    else:
        event = booking_transition(appointment_id=appointment.pk, target=target)
        appointment.refresh_from_db()
        assert appointment.booking_status == target
        assert (event.source, event.target) == (source, target)


def test_time_rules_complete_only_after_start_cancel_only_before_end() -> None:
    future = AppointmentFactory.create(booking_status=B.CONFIRMED)
    over = AppointmentFactory.create(
        date=timezone.now() - dt.timedelta(hours=3), booking_status=B.CONFIRMED
    )

    with pytest.raises(BusinessRuleError):
        booking_transition(appointment_id=future.pk, target=B.COMPLETED)
    with pytest.raises(BusinessRuleError):
        booking_transition(appointment_id=over.pk, target=B.CANCELLED_BY_PATIENT)
    booking_transition(appointment_id=over.pk, target=B.NO_SHOW)
    over.refresh_from_db()
    assert over.booking_status == B.NO_SHOW


def test_api_flow_records_who_and_when(api_client: APIClient, staff_user: Any) -> None:
    appointment = AppointmentFactory.create()

    confirmed = api_client.post(url(appointment, "confirm"), {"reason": "Ligou"}, format="json")
    again = api_client.post(url(appointment, "confirm"), {}, format="json")
    bad_cancel = api_client.post(url(appointment, "cancel"), {"by": "VIZINHO"}, format="json")
    cancelled = api_client.post(
        url(appointment, "cancel"), {"by": "PROFESSIONAL", "reason": "Doente"}, format="json"
    )
    events = api_client.get(url(appointment, "booking_events"))

    assert confirmed.status_code == 200
    assert confirmed.json()["booking_status"] == "CONFIRMED"
    assert again.status_code == 409
    assert "booking_status" in again.json()
    assert bad_cancel.status_code == 400
    assert "by" in bad_cancel.json()
    assert cancelled.json()["booking_status"] == "CANCELLED_BY_PROFESSIONAL"
    assert cancelled.json()["status"] == "NOT_BILLED"  # the payment status is untouched
    rows = events.json()
    assert [(row["source"], row["target"]) for row in rows] == [
        ("SCHEDULED", "CONFIRMED"),
        ("CONFIRMED", "CANCELLED_BY_PROFESSIONAL"),
    ]
    assert rows[0]["actor"] == staff_user.username
    assert rows[1]["reason"] == "Doente"
    appointment.refresh_from_db()
    assert appointment.booking_changed_by == staff_user
    assert appointment.booking_changed_at is not None


def test_booking_status_is_read_only_in_the_appointment_api(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    api_client.patch(
        f"/api/appointments/{appointment.pk}/", {"booking_status": "COMPLETED"}, format="json"
    )

    appointment.refresh_from_db()
    assert appointment.booking_status == B.SCHEDULED


def test_filter_by_booking_status(api_client: APIClient) -> None:
    scheduled = AppointmentFactory.create()
    confirmed = AppointmentFactory.create(booking_status=B.CONFIRMED)
    cancelled = AppointmentFactory.create(booking_status=B.CANCELLED_BY_PATIENT)

    one = api_client.get("/api/appointments/", {"booking_status": "CONFIRMED"})
    two = api_client.get("/api/appointments/?booking_status=SCHEDULED,CANCELLED_BY_PATIENT")
    repeated = api_client.get(
        "/api/appointments/?booking_status=SCHEDULED&booking_status=CONFIRMED"
    )
    bad = api_client.get("/api/appointments/", {"booking_status": "PERDIDA"})

    assert [row["id"] for row in one.json()["results"]] == [confirmed.pk]
    assert {row["id"] for row in two.json()["results"]} == {scheduled.pk, cancelled.pk}
    assert bad.status_code == 400
    assert "booking_status" in bad.json()
    assert repeated.status_code == 400


def test_a_cancelled_booking_frees_its_slot_for_a_new_one(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    first = AppointmentFactory.create(professional=professional)
    body = {"professional": professional.pk, "date": first.date.isoformat()}

    clash = api_client.post("/api/appointments/", body, format="json")
    api_client.post(url(first, "cancel"), {"by": "PATIENT"}, format="json")
    rebooked = api_client.post("/api/appointments/", body, format="json")

    assert clash.status_code == 409
    assert rebooked.status_code == 201, rebooked.content


@pytest.mark.postgres
def test_the_exclusion_constraint_ignores_cancelled_bookings_only() -> None:
    professional = ProfessionalFactory.create()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=90)
    first = AppointmentFactory.create(professional=professional, date=start)

    def insert() -> None:
        with transaction.atomic():
            Appointment.objects.bulk_create(
                [
                    Appointment(
                        professional=professional,
                        date=start,
                        duration_minutes=30,
                        end=start + dt.timedelta(minutes=30),
                    )
                ]
            )

    with pytest.raises(IntegrityError, match="appointment_no_overlap"):
        insert()
    Appointment.objects.filter(pk=first.pk).update(booking_status=B.CONFIRMED)
    with pytest.raises(IntegrityError, match="appointment_no_overlap"):
        insert()
    Appointment.objects.filter(pk=first.pk).update(booking_status=B.CANCELLED_BY_PROFESSIONAL)
    insert()
    assert Appointment.objects.filter(professional=professional).count() == 2


# --- what a cancellation asks of the payment -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "target", "hours_before", "expected"),
    [
        (PaymentStatus.NOT_BILLED, B.CANCELLED_BY_PATIENT, 48, ""),
        (PaymentStatus.PENDING, B.CANCELLED_BY_PATIENT, 1, lifecycle.CANCEL_CHARGE),
        (PaymentStatus.PROCESSING, B.CANCELLED_BY_PROFESSIONAL, 1, lifecycle.CANCEL_CHARGE),
        (PaymentStatus.FAILED, B.CANCELLED_BY_PATIENT, 48, lifecycle.CANCEL_CHARGE),
        (PaymentStatus.PAID, B.CANCELLED_BY_PROFESSIONAL, 1, lifecycle.FULL_REFUND),
        (PaymentStatus.PAID, B.CANCELLED_BY_PATIENT, 25, lifecycle.FULL_REFUND),
        (PaymentStatus.PAID, B.CANCELLED_BY_PATIENT, 23, lifecycle.NO_REFUND),
        (PaymentStatus.REFUNDED, B.CANCELLED_BY_PATIENT, 48, ""),
        (PaymentStatus.PAID, B.CONFIRMED, 48, ""),
    ],
)
def test_payment_action_follows_the_refund_policy(
    status: str, target: str, hours_before: int, expected: str, settings: Any
) -> None:
    settings.BOOKING_FULL_REFUND_HOURS = 24
    now = timezone.now()
    appointment = Appointment(
        date=now + dt.timedelta(hours=hours_before), status=status, total_amount=Decimal("100")
    )

    assert booking_payment_action(appointment=appointment, target=target, now=now) == expected


def test_the_refund_window_is_a_setting(settings: Any) -> None:
    now = timezone.now()
    appointment = Appointment(date=now + dt.timedelta(hours=5), status=PaymentStatus.PAID)

    settings.BOOKING_FULL_REFUND_HOURS = 4
    generous = booking_payment_action(
        appointment=appointment, target=B.CANCELLED_BY_PATIENT, now=now
    )
    settings.BOOKING_FULL_REFUND_HOURS = 6
    strict = booking_payment_action(appointment=appointment, target=B.CANCELLED_BY_PATIENT, now=now)

    assert (generous, strict) == (lifecycle.FULL_REFUND, lifecycle.NO_REFUND)


def test_settle_does_nothing_for_bookings_not_cancelled() -> None:
    appointment = AppointmentFactory.create()

    assert lifecycle.booking_cancellation_settle(appointment_id=appointment.pk) == (
        lifecycle.NOTHING_TO_DO
    )
    assert lifecycle.booking_cancellation_settle(appointment_id=987654) == lifecycle.NOTHING_TO_DO
