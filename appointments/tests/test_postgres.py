"""PostgreSQL: the exclusion constraint and the no-double-booking rule under real concurrency.

The race tests run real threads, each with its own database connection, lined up on a
``threading.Barrier`` so that they hit the database at the same moment.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from rest_framework.test import APIClient

from appointments import services
from appointments.models import Appointment
from core.exceptions import ConflictError
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.postgres

THREADS = 8
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
SLOT = dt.datetime(2030, 7, 15, 17, 0, tzinfo=dt.UTC)


def unsaved(professional: Professional, start: dt.datetime, minutes: int = 30) -> Appointment:
    """An appointment with ``end`` filled in, as ``bulk_create`` (which skips save()) needs."""
    return Appointment(
        professional=professional,
        date=start,
        duration_minutes=minutes,
        end=start + dt.timedelta(minutes=minutes),
    )


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of the driver error behind a Django database error."""
    return getattr(error.__cause__, "sqlstate", None)


# --- the constraint itself -----------------------------------------------------------------


@pytest.mark.django_db
def test_constraint_is_installed() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            ["appointment_no_overlap"],
        )
        (definition,) = cursor.fetchone()
    assert definition.startswith("EXCLUDE USING gist")
    assert "tstzrange" in definition
    assert "&&" in definition


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "minutes"),
    [(SLOT, 30), (SLOT + dt.timedelta(minutes=29), 5), (SLOT - dt.timedelta(hours=1), 61)],
)
def test_bulk_create_of_an_overlap_is_rejected_by_the_database(
    start: dt.datetime, minutes: int
) -> None:
    professional = ProfessionalFactory.create()
    AppointmentFactory.create(professional=professional, date=SLOT)

    with pytest.raises(IntegrityError, match="appointment_no_overlap"), transaction.atomic():
        Appointment.objects.bulk_create([unsaved(professional, start, minutes)])

    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_bulk_create_of_two_overlapping_rows_at_once_is_rejected() -> None:
    professional = ProfessionalFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.bulk_create(
            [unsaved(professional, SLOT), unsaved(professional, SLOT + dt.timedelta(minutes=15))]
        )

    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_bulk_create_allows_back_to_back_and_other_professionals() -> None:
    professional = ProfessionalFactory.create()
    other = ProfessionalFactory.create()

    Appointment.objects.bulk_create(
        [
            unsaved(professional, SLOT),
            unsaved(professional, SLOT + dt.timedelta(minutes=30)),
            unsaved(professional, SLOT - dt.timedelta(minutes=30)),
            unsaved(other, SLOT),
        ]
    )

    assert Appointment.objects.count() == 4


@pytest.mark.django_db
def test_queryset_update_into_an_overlap_is_rejected() -> None:
    professional = ProfessionalFactory.create()
    AppointmentFactory.create(professional=professional, date=SLOT)
    later = AppointmentFactory.create(professional=professional, date=SLOT + dt.timedelta(hours=2))

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=later.pk).update(
            date=SLOT + dt.timedelta(minutes=10), end=SLOT + dt.timedelta(minutes=40)
        )


@pytest.mark.django_db
def test_service_turns_a_constraint_violation_into_a_conflict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the pre-check disabled, the database answer still reaches the caller as a 409."""
    professional = ProfessionalFactory.create()
    AppointmentFactory.create(professional=professional, date=SLOT)
    monkeypatch.setattr(services, "_ensure_free", lambda *, appointment: None)

    with pytest.raises(ConflictError) as caught:
        services.appointment_create(professional=professional, date=SLOT)

    assert caught.value.status_code == 409
    assert caught.value.field == "date"
    assert Appointment.objects.count() == 1


# --- concurrency -------------------------------------------------------------------------


def race(worker: Callable[[int], Any], count: int = THREADS) -> list[Any]:
    """Run ``worker(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = worker(index)
        except BaseException as error:  # noqa: BLE001 - collected and asserted on below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_posts_of_one_slot_exactly_one_wins() -> None:
    professional = ProfessionalFactory.create()
    body = {"date": "2030-07-15T14:00:00", "professional": professional.pk}
    staff = make_staff()

    def post(index: int) -> Any:
        # Slightly different slots, all overlapping 14:00-14:30.
        shifted = {**body, "duration_minutes": 30 + index}
        return staff_api(staff).post("/api/appointments/", shifted, format="json")

    responses = race(post)

    errors = [r for r in responses if isinstance(r, BaseException)]
    assert not errors, errors
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    for response in responses:
        if response.status_code == 409:
            assert set(response.json()) == {"detail", "date"}
    assert Appointment.objects.filter(professional=professional).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_service_calls_exactly_one_wins() -> None:
    professional = ProfessionalFactory.create()

    def book(index: int) -> Appointment:
        fresh = Professional.objects.get(pk=professional.pk)
        return services.appointment_create(
            professional=fresh, date=SLOT + dt.timedelta(minutes=index)
        )

    results = race(book)

    winners = [r for r in results if isinstance(r, Appointment)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(winners) == 1, results
    assert len(conflicts) == THREADS - 1, results
    assert list(Appointment.objects.values_list("pk", flat=True)) == [winners[0].pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_races_on_different_professionals_all_win() -> None:
    professionals = ProfessionalFactory.create_batch(THREADS)
    staff = make_staff()

    def post(index: int) -> Any:
        body = {"date": "2030-07-15T14:00:00", "professional": professionals[index].pk}
        return staff_api(staff).post("/api/appointments/", body, format="json")

    responses = race(post)

    assert [getattr(r, "status_code", r) for r in responses] == [201] * THREADS
    assert Appointment.objects.count() == THREADS


@pytest.mark.django_db(transaction=True)
def test_concurrent_raw_saves_without_the_pre_check_exactly_one_wins() -> None:
    """No service, no lock: only the exclusion constraint stands between the writers.

    Each loser is refused by the constraint: either as an exclusion violation (SQLSTATE 23P01)
    or, when two uncommitted writers wait on each other while checking it, as a deadlock that
    PostgreSQL breaks by aborting one of them (40P01). Either way nothing overlapping commits.
    """
    professional = ProfessionalFactory.create()

    def save(index: int) -> Appointment:
        with transaction.atomic():
            appointment = Appointment(
                professional_id=professional.pk, date=SLOT + dt.timedelta(minutes=index)
            )
            appointment.save()
            return appointment

    results = race(save)

    winners = [r for r in results if isinstance(r, Appointment)]
    failures = [r for r in results if isinstance(r, DatabaseError)]
    assert len(winners) == 1, results
    assert len(failures) == THREADS - 1, results
    for error in failures:
        assert sqlstate(error) in {EXCLUSION_VIOLATION, DEADLOCK_DETECTED}, error
        if sqlstate(error) == EXCLUSION_VIOLATION:
            assert isinstance(error, IntegrityError)
            assert "appointment_no_overlap" in str(error)
        else:
            assert "exclusion constraint" in str(error)
    assert list(Appointment.objects.values_list("pk", flat=True)) == [winners[0].pk]


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_an_open_transaction_and_then_fails() -> None:
    """Thread 0 holds an uncommitted row while thread 1 writes an overlapping one."""
    professional = ProfessionalFactory.create()
    first_inserted = threading.Event()

    def write(index: int) -> str:
        with transaction.atomic():
            if index == 0:
                Appointment(professional_id=professional.pk, date=SLOT).save()
                first_inserted.set()
                time.sleep(0.5)  # thread 1 is now blocked on the constraint
            else:
                assert first_inserted.wait(timeout=30)
                Appointment(
                    professional_id=professional.pk, date=SLOT + dt.timedelta(minutes=10)
                ).save()
        return "committed"

    started = time.monotonic()
    results = race(write, count=2)

    assert results[0] == "committed"
    assert isinstance(results[1], IntegrityError), results
    assert time.monotonic() - started >= 0.5
    assert list(Appointment.objects.values_list("date", flat=True)) == [SLOT]


def staff_api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def make_staff() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="corrida", is_staff=True, is_superuser=True
    )
