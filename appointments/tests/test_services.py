"""The service layer and the model: same no-double-booking answer on every database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from appointments import services
from appointments.models import Appointment
from appointments.selectors import appointment_overlapping
from core.exceptions import ConflictError
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

SLOT = dt.datetime(2030, 7, 15, 17, 0, tzinfo=dt.UTC)


def test_factory_appointments_are_future_and_do_not_overlap() -> None:
    professional = ProfessionalFactory.create()
    appointments = AppointmentFactory.create_batch(5, professional=professional)

    now = dt.datetime.now(dt.UTC)
    assert all(a.date > now for a in appointments)
    for a in appointments:
        assert not appointment_overlapping(
            professional_id=professional.pk, start=a.date, end=a.end, exclude_id=a.pk
        ).exists()


def test_create_computes_end_and_default_duration() -> None:
    professional = ProfessionalFactory.create()

    appointment = services.appointment_create(professional=professional, date=SLOT)

    assert appointment.pk is not None
    assert appointment.duration_minutes == 30
    assert appointment.end == SLOT + dt.timedelta(minutes=30)


def test_create_overlap_raises_conflict_naming_date() -> None:
    professional = ProfessionalFactory.create()
    services.appointment_create(professional=professional, date=SLOT)

    with pytest.raises(ConflictError) as caught:
        services.appointment_create(
            professional=professional, date=SLOT + dt.timedelta(minutes=20), duration_minutes=15
        )

    assert caught.value.field == "date"
    assert caught.value.status_code == 409
    assert "15/07/2030 14:00" in caught.value.message  # rendered in São Paulo time
    assert Appointment.objects.count() == 1


def test_update_keeps_its_own_slot_and_refuses_others() -> None:
    professional = ProfessionalFactory.create()
    first = services.appointment_create(professional=professional, date=SLOT)
    second = services.appointment_create(
        professional=professional, date=SLOT + dt.timedelta(minutes=30)
    )

    services.appointment_update(appointment=first, data={"duration_minutes": 30})
    with pytest.raises(ConflictError):
        services.appointment_update(appointment=second, data={"date": SLOT})

    second.refresh_from_db()
    assert second.date == SLOT + dt.timedelta(minutes=30)


def test_save_with_update_fields_keeps_end_in_step() -> None:
    appointment = AppointmentFactory.create()
    appointment.duration_minutes = 60

    appointment.save(update_fields=["duration_minutes"])

    appointment.refresh_from_db()
    assert appointment.end == appointment.date + dt.timedelta(minutes=60)


def test_model_clean_reports_an_overlap_on_date() -> None:
    existing = AppointmentFactory.create()
    clash = Appointment(
        professional=existing.professional, date=existing.date + dt.timedelta(minutes=10)
    )

    with pytest.raises(ValidationError) as caught:
        clash.full_clean()

    assert "date" in caught.value.message_dict


def test_model_clean_accepts_itself_and_a_free_slot() -> None:
    existing = AppointmentFactory.create()

    existing.full_clean()
    Appointment(
        professional=existing.professional, date=existing.end, duration_minutes=30
    ).full_clean()


def test_model_validators_bound_duration() -> None:
    professional = ProfessionalFactory.create()

    with pytest.raises(ValidationError) as caught:
        Appointment(professional=professional, date=SLOT, duration_minutes=481).full_clean()

    assert "duration_minutes" in caught.value.message_dict
