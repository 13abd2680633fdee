"""``free_slots`` and the remembered day windows against plain, obviously right oracles."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from appointments.availability import Busy, Slot, free_slots
from professionals.schedule.windows import ExceptionData, RuleData, Window, day_windows

SP = ZoneInfo("America/Sao_Paulo")
DAY = dt.date(2030, 1, 9)
MIDNIGHT = dt.datetime.combine(DAY, dt.time()).replace(tzinfo=SP)


def minute(offset: int) -> dt.datetime:
    return MIDNIGHT + dt.timedelta(minutes=offset)


def oracle(
    windows: list[Window],
    busy: Busy,
    start: dt.datetime,
    end: dt.datetime,
    duration: int | None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every candidate slot, kept when it fits its window, starts in ``[start, end)`` and meets
    no busy interval; the first window that offers a start wins; sorted by start."""
    found: dict[dt.datetime, dt.datetime] = {}
    for window in windows:
        length = dt.timedelta(minutes=duration or window.slot_minutes)
        cursor = window.start
        while cursor + length <= window.end:
            finish = cursor + length
            free = all(finish <= begin or stop <= cursor for begin, stop in busy)
            if start <= cursor < end and free and cursor not in found:
                found[cursor] = finish
            cursor += dt.timedelta(minutes=window.slot_minutes)
    return sorted(found.items())


def random_case(rng: random.Random) -> tuple[list[Window], Busy, dt.datetime, dt.datetime]:
    windows = []
    for _ in range(rng.randint(0, 3)):
        first = rng.randrange(0, 20 * 60, 5)
        windows.append(
            Window(
                start=minute(first),
                end=minute(first + rng.randrange(0, 6 * 60, 5)),
                slot_minutes=rng.choice([15, 30, 45, 50, 60]),
            )
        )
    busy: Busy = []
    cursor = rng.randrange(0, 120, 5)
    while cursor < 24 * 60:  # never overlapping each other, as the exclusion constraint keeps
        length = rng.choice([15, 30, 45, 60, 90])
        if rng.random() < 0.4:
            # In UTC or local: the intervals arrive in either zone.
            zone = rng.choice([SP, dt.UTC])
            busy.append((minute(cursor).astimezone(zone), minute(cursor + length).astimezone(zone)))
        cursor += length + rng.randrange(0, 90, 5)
    start = minute(rng.choice([0, rng.randrange(0, 24 * 60, 5)]))
    end = start + dt.timedelta(minutes=rng.choice([30, 60, 240, 24 * 60]))
    return windows, busy, start, end


def test_free_slots_equal_the_oracle_on_random_days() -> None:
    rng = random.Random(20261206)
    seen_slots = 0
    for _case in range(600):
        windows, busy, start, end = random_case(rng)
        duration = rng.choice([None, None, 15, 30, 60, 90])
        slots = free_slots(
            windows=windows, busy=busy, start=start, end=end, duration_minutes=duration
        )
        expected = oracle(windows, busy, start, end, duration)
        assert [(slot.start, slot.end) for slot in slots] == expected
        assert all(isinstance(slot, Slot) and slot.start.tzinfo is dt.UTC for slot in slots)
        seen_slots += len(slots)
    assert seen_slots > 300  # the cases do offer slots, not only empty days


def test_edges_a_slot_ending_where_a_busy_one_starts_is_free() -> None:
    windows = [Window(start=minute(8 * 60), end=minute(10 * 60), slot_minutes=30)]
    busy = [(minute(9 * 60), minute(9 * 60 + 30))]
    slots = free_slots(
        windows=windows, busy=busy, start=minute(0), end=minute(24 * 60), duration_minutes=None
    )
    assert [slot.start for slot in slots] == [minute(480), minute(510), minute(570)]
    # One minute longer: the 08:30 slot reaches into the busy one, the 09:30 one out of the
    # window.
    longer = free_slots(
        windows=windows, busy=busy, start=minute(0), end=minute(24 * 60), duration_minutes=31
    )
    assert [slot.start for slot in longer] == [minute(480)]


RULES = [
    RuleData(weekday=DAY.weekday(), start=dt.time(8), end=dt.time(12), slot_minutes=30),
    RuleData(
        weekday=DAY.weekday(),
        start=dt.time(13),
        end=dt.time(18),
        slot_minutes=60,
        breaks=((dt.time(15), dt.time(16)),),
    ),
]


def test_day_windows_are_remembered_but_never_shared_or_stale() -> None:
    first = day_windows(DAY, RULES, [])
    assert [(w.start.hour, w.end.hour) for w in first] == [(8, 12), (13, 15), (16, 18)]
    first.clear()  # the caller's list is its own
    again = day_windows(DAY, list(RULES), [])
    assert len(again) == 3
    # Another exception, another answer: it is part of what is remembered.
    off = ExceptionData(date=DAY, kind="DAY_OFF", start=dt.time(8), end=dt.time(10))
    assert [(w.start.hour, w.end.hour) for w in day_windows(DAY, RULES, [off])] == [
        (10, 12),
        (13, 15),
        (16, 18),
    ]
    # Another zone, other instants.
    with override_settings(TIME_ZONE="America/Manaus"):
        manaus = day_windows(DAY, RULES, [])
    assert manaus[0].start - again[0].start == dt.timedelta(hours=1)
    assert str(manaus[0].start.tzinfo) == "America/Manaus"


@pytest.mark.parametrize("weekday_shift", [1, 2])
def test_day_windows_of_a_day_the_rules_do_not_apply_on_are_empty(weekday_shift: int) -> None:
    assert day_windows(DAY + dt.timedelta(days=weekday_shift), RULES, []) == []
