"""``busy_intervals`` (a statement written by hand) reads the rows ``busy_queryset`` (the ORM)
selects: random appointments, statuses and windows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from appointments.availability import Busy, busy_intervals, busy_queryset
from appointments.models import Appointment, BookingStatus, PaymentStatus
from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

ORIGIN = dt.datetime(2031, 3, 3, 11, tzinfo=dt.UTC)


def oracle(ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, Busy]:
    busy: dict[int, Busy] = defaultdict(list)
    rows = busy_queryset(professional_ids=ids, start=start, end=end).values_list(
        "professional_id", "date", "end"
    )
    for professional_id, begin, finish in rows:
        busy[professional_id].append((begin, finish))
    return {pk: sorted(intervals) for pk, intervals in busy.items()}


def test_random_appointments_are_busy_as_the_orm_selects_them() -> None:
    rng = random.Random(20261206)
    professionals = [ProfessionalFactory.create().pk for _ in range(4)]
    appointments = []
    for pk in professionals:
        # Three hours apart, at most 143 minutes long: the ones holding a slot never overlap
        # (the exclusion constraint); some start minutes off the hour.
        for n in range(60):
            begin = ORIGIN + dt.timedelta(hours=3 * n, minutes=rng.choice([0, 7, 30]))
            minutes = rng.choice([15, 30, 50, 60, 90, 113])
            appointments.append(
                Appointment(
                    professional_id=pk,
                    date=begin,
                    end=begin + dt.timedelta(minutes=minutes),
                    duration_minutes=minutes,
                    status=rng.choice(list(PaymentStatus)),
                    booking_status=rng.choice(list(BookingStatus)),
                )
            )
    Appointment.objects.bulk_create(appointments)
    held = oracle(professionals, ORIGIN - dt.timedelta(days=1), ORIGIN + dt.timedelta(days=30))
    assert 30 < sum(map(len, held.values())) < 240  # some rows freed their slot, most did not

    for _ in range(60):
        ids = rng.sample(professionals, rng.randint(1, 4))
        start = ORIGIN + dt.timedelta(minutes=rng.randrange(-300, 60 * 24 * 10, 7))
        end = start + dt.timedelta(minutes=rng.choice([1, 30, 113, 600, 60 * 24 * 3]))
        expected = oracle(ids, start, end)
        assert busy_intervals(professional_ids=ids, start=start, end=end) == expected
    # A window's edges: an appointment ending at its start or starting at its end is not busy.
    begin, finish = min(held[professionals[0]])
    minute = dt.timedelta(minutes=1)
    alone = [professionals[0]]
    assert busy_intervals(professional_ids=alone, start=finish, end=finish + minute) == {}
    assert busy_intervals(professional_ids=alone, start=begin - minute, end=begin) == {}
    assert busy_intervals(professional_ids=alone, start=begin, end=begin + minute) == {
        alone[0]: [(begin, finish)]
    }
    assert busy_intervals(professional_ids=[], start=ORIGIN, end=ORIGIN + dt.timedelta(1)) == {}
