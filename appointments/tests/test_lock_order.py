"""PostgreSQL: deleting a professional never deadlocks with a booking or an appointment change.

Every writer locks in one order: professional(s) → appointment → charge. Each test pauses one
writer right after its first lock (a statement wrapper sleeps after the ``FOR UPDATE``) while the
other writer runs, which is the interleaving that deadlocked before: the delete removed the
appointments first and then waited on the professional held by a booking that was itself
waiting on one of those appointments (the exclusion constraint checks rows being deleted).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from appointments import services
from appointments.models import Appointment
from core.exceptions import DomainError, NotFoundError
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional
from professionals.services import professional_delete

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SLOT = dt.datetime(2030, 7, 15, 17, 0, tzinfo=dt.UTC)
PAUSE = 0.6
ROW_LOCK = re.compile(r"FOR (NO KEY )?UPDATE")


@contextmanager
def pause_after_lock(table: str) -> Iterator[None]:
    """In this thread's connection, sleep after the first row lock taken on ``table``."""
    paused = False

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        nonlocal paused
        result = execute(sql, *args)
        if not paused and ROW_LOCK.search(sql) and f'FROM "{table}"' in sql:
            paused = True
            time.sleep(PAUSE)
        return result

    with connection.execute_wrapper(wrapper):
        yield


def run_pair(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Start ``first``, then ``second`` a moment later (while ``first`` is paused)."""
    results: list[Any] = [None, None]

    def target(index: int, work: Callable[[], Any]) -> None:
        try:
            results[index] = work()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=target, args=(0, first)),
        threading.Thread(target=target, args=(1, second)),
    ]
    threads[0].start()
    time.sleep(PAUSE / 3)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def no_database_error(results: list[Any]) -> None:
    # Domain errors (404, 409, 400) are answers; anything else (a deadlock) is a 500.
    for result in results:
        assert (
            result is None
            or not isinstance(result, BaseException)
            or isinstance(result, DomainError)
        ), repr(result)


def test_booking_that_holds_the_professional_then_a_delete_of_that_professional() -> None:
    professional = ProfessionalFactory.create()
    AppointmentFactory.create(professional=professional, date=SLOT)

    def book() -> Appointment:
        with pause_after_lock("professionals_professional"):
            return services.appointment_create(
                professional=professional, date=SLOT + dt.timedelta(hours=1)
            )

    def delete() -> None:
        professional_delete(professional=Professional.objects.get(pk=professional.pk))

    booked, deleted = run_pair(book, delete)

    # Before, the delete collected the appointments, waited on the booking, then deleted the
    # professional under the new appointment: a foreign-key violation at commit (a 500).
    no_database_error([booked, deleted])
    assert isinstance(booked, Appointment)
    assert deleted is None
    assert not Professional.objects.filter(pk=professional.pk).exists()
    assert not Appointment.objects.filter(professional_id=professional.pk).exists()


def test_delete_that_holds_the_professional_then_a_booking_for_it() -> None:
    professional = ProfessionalFactory.create()
    AppointmentFactory.create(professional=professional, date=SLOT)

    def delete() -> None:
        with pause_after_lock("professionals_professional"):
            professional_delete(professional=Professional.objects.get(pk=professional.pk))

    def book() -> Appointment:
        return services.appointment_create(
            professional=professional, date=SLOT + dt.timedelta(hours=1)
        )

    deleted, booked = run_pair(delete, book)

    no_database_error([deleted, booked])
    assert deleted is None
    # The booking waited for the delete and then found no professional: a 400, not a 500.
    assert isinstance(booked, DomainError)
    assert booked.status_code == 400
    assert booked.field == "professional"
    assert not Appointment.objects.exists()


def test_appointment_change_that_holds_its_professional_then_a_delete() -> None:
    professional = ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=professional, date=SLOT)

    def move() -> Appointment:
        with pause_after_lock("professionals_professional"):
            return services.appointment_update(
                appointment=appointment, data={"date": SLOT + dt.timedelta(minutes=30)}
            )

    def delete() -> None:
        professional_delete(professional=Professional.objects.get(pk=professional.pk))

    moved, deleted = run_pair(move, delete)

    no_database_error([moved, deleted])
    assert isinstance(moved, Appointment)
    assert deleted is None
    assert not Appointment.objects.exists()


def test_delete_that_holds_the_professional_then_an_appointment_change() -> None:
    professional = ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=professional, date=SLOT)

    def delete() -> None:
        with pause_after_lock("professionals_professional"):
            professional_delete(professional=Professional.objects.get(pk=professional.pk))

    def move() -> Appointment:
        return services.appointment_update(
            appointment=appointment, data={"date": SLOT + dt.timedelta(minutes=30)}
        )

    deleted, moved = run_pair(delete, move)

    no_database_error([deleted, moved])
    assert deleted is None
    assert isinstance(moved, NotFoundError)


def test_moving_an_appointment_to_another_professional_locks_both_in_id_order() -> None:
    first, second = ProfessionalFactory.create(), ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=second, date=SLOT)
    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if ROW_LOCK.search(sql):
            statements.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(record):
        services.appointment_update(appointment=appointment, data={"professional": first})

    tables = [
        "professional" if 'FROM "professionals_professional"' in sql else "appointment"
        for sql in statements
    ]
    # Both professionals, then the appointment (the re-lock in the save check is a no-op).
    assert tables[:3] == ["professional", "professional", "appointment"]
    appointment.refresh_from_db()
    assert appointment.professional_id == first.pk
