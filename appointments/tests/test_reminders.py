"""The 24 h reminder e-mail: once per appointment, none for cancelled ones."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from appointments.lifecycle import booking_transition
from appointments.models import Appointment, BookingStatus, Patient, PaymentStatus
from appointments.reminders import appointment_reminders_send
from appointments.tasks import send_appointment_reminders_task
from core.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def patient(name: str, email: str = "") -> Patient:
    from validate_docbr import CPF

    return Patient.objects.create(name=name, cpf=CPF().generate(), email=email)


def in_hours(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


def test_one_reminder_for_appointments_within_24_hours() -> None:
    due = AppointmentFactory.create(
        date=in_hours(20), patient=patient("Rita Lembrada", "rita@example.com")
    )
    AppointmentFactory.create(date=in_hours(30), patient=patient("Cedo", "cedo@example.com"))
    AppointmentFactory.create(date=in_hours(-2), patient=patient("Passou", "passou@example.com"))
    AppointmentFactory.create(date=in_hours(10), patient=patient("Sem E-mail"))
    AppointmentFactory.create(date=in_hours(11))  # no patient

    first = send_appointment_reminders_task()
    second = send_appointment_reminders_task()

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@example.com"]
    assert "Lembrete" in message.subject
    local = timezone.localtime(due.date)
    assert f"{local:%d/%m/%Y}" in message.body
    assert f"{local:%H:%M}" in message.body
    assert due.professional.preferred_name in message.body
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_cancelled_appointments_get_no_reminder() -> None:
    withdrawn = AppointmentFactory.create(
        date=in_hours(5), patient=patient("Desistiu", "desistiu@example.com")
    )
    booking_transition(appointment_id=withdrawn.pk, target=BookingStatus.CANCELLED_BY_PATIENT)
    unpaid = AppointmentFactory.create(
        date=in_hours(6), patient=patient("Cancelada", "cancelada@example.com")
    )
    Appointment.objects.filter(pk=unpaid.pk).update(status=PaymentStatus.CANCELED)

    assert appointment_reminders_send() == 0
    assert mail.outbox == []


def test_the_horizon_is_a_setting(settings: Any) -> None:
    AppointmentFactory.create(date=in_hours(40), patient=patient("Longe", "longe@example.com"))

    settings.APPOINTMENT_REMINDER_HOURS = 24
    assert appointment_reminders_send() == 0
    settings.APPOINTMENT_REMINDER_HOURS = 48
    assert appointment_reminders_send() == 1


def test_a_failed_send_releases_the_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    AppointmentFactory.create(date=in_hours(3), patient=patient("Falha", "falha@example.com"))

    def broken(**kwargs: Any) -> int:
        raise OSError("smtp down")

    monkeypatch.setattr("appointments.reminders.send_mail", broken)
    assert appointment_reminders_send() == 0
    monkeypatch.undo()
    assert appointment_reminders_send() == 1
    assert len(mail.outbox) == 1


def test_beat_runs_the_reminder_task() -> None:
    entries = {entry["task"]: entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert "appointments.tasks.send_appointment_reminders_task" in entries


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_reminder_each() -> None:
    for number in range(5):
        AppointmentFactory.create(
            date=in_hours(2 + number), patient=patient(f"P{number}", f"p{number}@example.com")
        )
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            counts.append(appointment_reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 5
    assert sorted(message.to[0] for message in mail.outbox) == [
        f"p{number}@example.com" for number in range(5)
    ]
