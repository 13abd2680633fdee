"""Working windows of a day, from weekly rules and exceptions (pure functions, no queries).

Rules and exceptions speak wall-clock time in ``settings.TIME_ZONE``; each window is turned
into aware datetimes with the UTC offset *of that date*, so slots stay at 08:00 local across
daylight-saving changes (Brazil had them until 2019; a wall time that does not exist on a
transition day is moved forward, as the clocks were).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import CLOSING_KINDS, ExceptionKind

#: A wall-clock interval of one day in minutes since midnight, with its slot length.
Interval = tuple[int, int]


@dataclass(frozen=True)
class RuleData:
    weekday: int
    start: dt.time
    end: dt.time
    slot_minutes: int
    breaks: tuple[tuple[dt.time, dt.time], ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True)
class ExceptionData:
    date: dt.date
    kind: str
    start: dt.time | None = None
    end: dt.time | None = None
    slot_minutes: int = 30


@dataclass(frozen=True)
class Window:
    """Bookable time ``[start, end)`` (aware), cut into slots of ``slot_minutes``."""

    start: dt.datetime
    end: dt.datetime
    slot_minutes: int


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """``day`` at wall-clock ``at`` in the local zone; a time skipped by a DST change maps to
    the instant the clocks jumped to (00:30 on a spring-forward day at midnight → 01:30)."""
    zone = local_zone()
    aware = dt.datetime.combine(day, at).replace(tzinfo=zone)
    return aware.astimezone(dt.UTC).astimezone(zone)


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def subtract(intervals: Iterable[Interval], cut: Interval) -> list[Interval]:
    """``intervals`` minus ``cut``."""
    result: list[Interval] = []
    for start, end in intervals:
        if cut[1] <= start or end <= cut[0]:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def day_intervals(
    day: dt.date, rules: Sequence[RuleData], exceptions: Sequence[ExceptionData]
) -> list[tuple[int, int, int]]:
    """Wall-clock ``(start, end, slot_minutes)`` intervals of ``day`` (minutes of the day):
    rules minus their breaks, minus days off and holidays, plus extra hours."""
    found: list[tuple[int, int, int]] = []
    todays = [item for item in exceptions if item.date == day]
    for rule in rules:
        if not rule.applies_on(day):
            continue
        pieces: list[Interval] = [(_minutes(rule.start), _minutes(rule.end))]
        for start, end in rule.breaks:
            pieces = subtract(pieces, (_minutes(start), _minutes(end)))
        for item in todays:
            if item.kind not in CLOSING_KINDS:
                continue
            if item.start is None or item.end is None:
                pieces = []
            else:
                pieces = subtract(pieces, (_minutes(item.start), _minutes(item.end)))
        found += [(start, end, rule.slot_minutes) for start, end in pieces]
    for item in todays:
        if item.kind == ExceptionKind.EXTRA_HOURS and item.start and item.end:
            found.append((_minutes(item.start), _minutes(item.end), item.slot_minutes))
    return sorted(found)


def day_windows(
    day: dt.date, rules: Sequence[RuleData], exceptions: Sequence[ExceptionData]
) -> list[Window]:
    """The working windows of ``day``: remembered per day, rules, exceptions and zone (a pure
    function of them, and most of a free-slot search's work per professional: its aware
    datetimes; a day's search repeats the same few rules over hundreds of professionals)."""
    return list(_day_windows(day, tuple(rules), tuple(exceptions), settings.TIME_ZONE))


#: Distinct (day, rules, exceptions) remembered per process; the least recent go first.
DAY_WINDOWS_KEPT = 4096


@functools.lru_cache(maxsize=DAY_WINDOWS_KEPT)
def _day_windows(
    day: dt.date,
    rules: tuple[RuleData, ...],
    exceptions: tuple[ExceptionData, ...],
    time_zone: str,
) -> tuple[Window, ...]:
    return tuple(
        Window(
            start=local_datetime(day, _time(start)),
            end=local_datetime(day, _time(end)),
            slot_minutes=slot,
        )
        for start, end, slot in day_intervals(day, rules, exceptions)
        if end > start
    )


def local_days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Every local calendar day that ``[start, end)`` touches."""
    zone = local_zone()
    first = start.astimezone(zone).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def merged(windows: Iterable[Window]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Windows joined where they touch or overlap (for "is this inside working hours?")."""
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for window in sorted(windows, key=lambda item: item.start):
        if spans and window.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], window.end))
        else:
            spans.append((window.start, window.end))
    return spans
