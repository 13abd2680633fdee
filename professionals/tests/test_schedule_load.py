"""``schedules_load`` reads only the rules of the weekdays asked about, and still knows who has
rules on the others ("no rules at all" means "books at any time")."""

from __future__ import annotations

import datetime as dt

import pytest

from core.tests.factories import ProfessionalFactory
from professionals.models import WorkingHoursRule
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
