"""``schedules_load`` reads only the rules of the weekdays asked about, and still knows who has
rules on the others ("no rules at all" means "books at any time")."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from core.tests.factories import ProfessionalFactory
from professionals.models import ScheduleException, WorkingHoursRule
from professionals.schedule.selectors import schedules_load

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2031, 3, 3)
SUNDAY = dt.date(2031, 3, 9)


@pytest.fixture
def three() -> dict[str, int]:
    mondays, weekdays, none = (ProfessionalFactory.create() for _ in range(3))
    WorkingHoursRule.objects.create(
        professional=mondays,
        weekday=0,
        start_time="08:00",
        end_time="12:00",
        breaks=[{"start": "10:00", "end": "10:30"}],
    )
    for weekday in range(5):
        WorkingHoursRule.objects.create(
            professional=weekdays, weekday=weekday, start_time="13:00", end_time="17:00"
        )
    return {"mondays": mondays.pk, "weekdays": weekdays.pk, "none": none.pk}


def test_a_day_loads_that_weekdays_rules_and_marks_the_others(three: dict[str, int]) -> None:
    on_sunday = schedules_load(professional_ids=three.values(), first_day=SUNDAY, last_day=SUNDAY)
    assert [on_sunday[pk].rules for pk in three.values()] == [[], [], []]
    assert [on_sunday[pk].has_rules for pk in three.values()] == [True, True, False]

    on_monday = schedules_load(professional_ids=three.values(), first_day=MONDAY, last_day=MONDAY)
    [monday_rule] = on_monday[three["mondays"]].rules
    assert monday_rule.weekday == 0
    assert monday_rule.breaks == ((dt.time(10), dt.time(10, 30)),)
    assert [rule.weekday for rule in on_monday[three["weekdays"]].rules] == [0]
    assert on_monday[three["none"]].has_rules is False


def test_one_professional_gets_the_whole_week(three: dict[str, int]) -> None:
    [alone] = schedules_load(
        professional_ids=[three["weekdays"]], first_day=SUNDAY, last_day=SUNDAY
    ).values()
    assert sorted(rule.weekday for rule in alone.rules) == [0, 1, 2, 3, 4]
    assert alone.has_rules is True


def test_a_week_loads_every_rule(three: dict[str, int]) -> None:
    week = schedules_load(
        professional_ids=three.values(), first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=8)
    )
    assert sorted(rule.weekday for rule in week[three["weekdays"]].rules) == [0, 1, 2, 3, 4]
    assert [week[pk].other_rules for pk in three.values()] == [False, False, False]


def _oracle(ids: list[int], first_day: dt.date, last_day: dt.date) -> dict[int, Any]:
    """What ``schedules_load`` must give, read plainly with the ORM: each professional's rules
    (only the dates' weekdays for several professionals over less than a week, with whether
    rules on other weekdays exist), its exceptions of the dates and the national ones."""
    span = (last_day - first_day).days + 1
    weekdays = {(first_day + dt.timedelta(days=n)).weekday() for n in range(min(span, 7))}
    if len(ids) < 2:
        weekdays = set(range(7))
    national = [
        _exception_key(item)
        for item in ScheduleException.objects.filter(
            professional__isnull=True, date__gte=first_day, date__lte=last_day
        )
    ]
    expected = {}
    for pk in ids:
        rules = WorkingHoursRule.objects.filter(professional_id=pk)
        own = ScheduleException.objects.filter(
            professional_id=pk, date__gte=first_day, date__lte=last_day
        )
        expected[pk] = (
            sorted(_rule_key(item) for item in rules if item.weekday in weekdays),
            sorted([_exception_key(item) for item in own] + national),
            any(item.weekday not in weekdays for item in rules),
        )
    return expected


def _rule_key(item: Any) -> tuple[Any, ...]:
    breaks = tuple(
        (dt.time.fromisoformat(piece["start"]), dt.time.fromisoformat(piece["end"]))
        for piece in item.breaks
    )
    return (
        item.weekday,
        item.start_time,
        item.end_time,
        item.slot_minutes,
        breaks,
        item.valid_from,
        item.valid_until,
    )


def _exception_key(item: Any) -> tuple[Any, ...]:
    return (item.date, item.kind, item.start_time, item.end_time, item.slot_minutes)


def _loaded(schedule: Any) -> tuple[Any, ...]:
    rules = sorted(
        (r.weekday, r.start, r.end, r.slot_minutes, r.breaks, r.valid_from, r.valid_until)
        for r in schedule.rules
    )
    exceptions = sorted(
        (e.date, e.kind, e.start, e.end, e.slot_minutes) for e in schedule.exceptions
    )
    return (rules, exceptions, schedule.other_rules)


def test_random_schedules_load_as_the_orm_reads_them() -> None:
    """Random rules (breaks, validity), exceptions (whole day, partial, extra hours) and
    national holidays, asked for random professionals and spans: the hand-written statement
    gives what the ORM reads, on SQLite and on PostgreSQL."""
    rng = random.Random(20261205)
    professionals = [ProfessionalFactory.create().pk for _ in range(6)]
    for pk in professionals:
        for _ in range(rng.randint(0, 6)):
            start = rng.randint(6, 14)
            WorkingHoursRule.objects.create(
                professional_id=pk,
                weekday=rng.randint(0, 6),
                start_time=dt.time(start),
                end_time=dt.time(start + rng.randint(1, 6)),
                slot_minutes=rng.choice([15, 30, 50, 60]),
                breaks=rng.choice([[], [{"start": f"{start:02d}:20", "end": f"{start:02d}:40"}]]),
                valid_from=rng.choice([None, MONDAY - dt.timedelta(days=rng.randint(0, 20))]),
                valid_until=rng.choice([None, MONDAY + dt.timedelta(days=rng.randint(0, 20))]),
            )
        for _ in range(rng.randint(0, 4)):
            day = MONDAY + dt.timedelta(days=rng.randint(-3, 17))
            kind = rng.choice(["DAY_OFF", "HOLIDAY", "EXTRA_HOURS"])
            timed = kind == "EXTRA_HOURS" or rng.random() < 0.5
            ScheduleException.objects.create(
                professional_id=pk,
                date=day,
                kind=kind,
                start_time=dt.time(18) if timed else None,
                end_time=dt.time(20) if timed else None,
                slot_minutes=rng.choice([30, 45]),
            )
    for offset in (2, 9):
        ScheduleException.objects.create(date=MONDAY + dt.timedelta(days=offset), kind="HOLIDAY")

    for _ in range(40):
        ids = rng.sample(professionals, rng.randint(1, len(professionals)))
        first_day = MONDAY + dt.timedelta(days=rng.randint(-2, 10))
        last_day = first_day + dt.timedelta(days=rng.choice([0, 0, 1, 4, 6, 9]))

        loaded = schedules_load(professional_ids=ids, first_day=first_day, last_day=last_day)

        expected = _oracle(ids, first_day, last_day)
        assert {pk: _loaded(schedule) for pk, schedule in loaded.items()} == expected
