"""Read helpers for working hours: everything the slot computation needs, in one query."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    DateField,
    Field,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    TimeField,
    Value,
)
from django.db.models.functions import Cast

from .models import CalendarFeed, ScheduleException, WorkingHoursRule
from .windows import ExceptionData, RuleData


@dataclass
class Schedule:
    """A professional's rules (all of them) and exceptions (of the dates asked for, national
    holidays included). No rules at all means "books at any time" (the v1 behaviour)."""

    rules: list[RuleData] = field(default_factory=list)
    exceptions: list[ExceptionData] = field(default_factory=list)
    #: Rules on weekdays outside the dates asked for exist (they were not loaded).
    other_rules: bool = False

    @property
    def has_rules(self) -> bool:
        return bool(self.rules) or self.other_rules


def _parse_breaks(raw: Any) -> tuple[tuple[dt.time, dt.time], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (dt.time.fromisoformat(item["start"]), dt.time.fromisoformat(item["end"]))
        for item in raw
        if isinstance(item, dict) and "start" in item and "end" in item
    )


#: The output fields of the columns an "other weekdays" marker row leaves empty.
_NONE_COLUMNS: tuple[type[Field[Any, Any]], ...] = (
    IntegerField,
    TimeField,
    TimeField,
    IntegerField,
    TextField,
    DateField,
    DateField,
)


def schedules_load(
    *, professional_ids: Iterable[int], first_day: dt.date, last_day: dt.date
) -> dict[int, Schedule]:
    ids = list(professional_ids)
    schedules = {pk: Schedule() for pk in ids}
    # For many professionals, only the rules of the weekdays the dates fall on (the "who is
    # free" search over one day would otherwise parse every professional's whole week) and,
    # of the others, only whether a professional has any ("no rules" means "books at any
    # time"). For one professional, the whole week: the markers' query costs more to write
    # than a week of rules to read.
    span = (last_day - first_day).days + 1
    weekdays = {(first_day + dt.timedelta(days=n)).weekday() for n in range(min(span, 7))}
    if len(ids) < 2 or len(weekdays) == 7:
        weekdays = set(range(7))
    # Tuples, not model instances: the "who is free" search loads thousands of rules. Rules,
    # exceptions and the other weekdays' markers come in ONE query (UNION ALL, a marker column
    # tells them apart). No ORDER BY inside the UNION (SQLite refuses it; the models' default
    # ordering would add one): the order of the rows does not matter here.
    rules = (
        WorkingHoursRule.objects.filter(professional_id__in=ids)
        .filter(**({"weekday__in": weekdays} if len(weekdays) < 7 else {}))
        .order_by()
        .values_list(
            Value("R", output_field=CharField()),
            "professional_id",
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            Cast("breaks", output_field=TextField()),
            "valid_from",
            "valid_until",
        )
    )
    exceptions = (
        ScheduleException.objects.filter(
            Q(professional_id__in=ids) | Q(professional__isnull=True),
            date__gte=first_day,
            date__lte=last_day,
        )
        .order_by()
        .values_list(
            Value("E", output_field=CharField()),
            "professional_id",
            Value(None, output_field=IntegerField()),
            "start_time",
            "end_time",
            "slot_minutes",
            "kind",
            "date",
            Value(None, output_field=DateField()),
        )
    )
    pieces = [exceptions] if len(weekdays) == 7 else [exceptions, _others(ids, weekdays)]
    national: list[ExceptionData] = []
    for marker, professional_id, weekday, start, end, slot, text, day, until in rules.union(
        *pieces, all=True
    ):
        if marker == "O":
            schedules[professional_id].other_rules = True
            continue
        if marker == "R":
            schedules[professional_id].rules.append(
                RuleData(
                    weekday=weekday,
                    start=start,
                    end=end,
                    slot_minutes=slot,
                    breaks=_parse_breaks(json.loads(text) if text else None),
                    valid_from=day,
                    valid_until=until,
                )
            )
            continue
        item = ExceptionData(date=day, kind=text, start=start, end=end, slot_minutes=slot)
        if professional_id is None:
            national.append(item)
        else:
            schedules[professional_id].exceptions.append(item)
    for schedule in schedules.values():
        schedule.exceptions += national
    return schedules


def _others(ids: list[int], weekdays: set[int]) -> QuerySet[Any]:
    """One marker row per professional of ``ids`` with rules on a weekday not in ``weekdays``
    (built only when asked: building a queryset costs about as much as a week's rules)."""
    return (
        WorkingHoursRule.objects.filter(professional_id__in=ids)
        .exclude(weekday__in=weekdays)
        .order_by()
        .values_list(
            Value("O", output_field=CharField()),
            "professional_id",
            # Typed NULLs: DISTINCT resolves an untyped one to text, which no union takes.
            *(Cast(Value(None), output_field=kind()) for kind in _NONE_COLUMNS),
        )
        .distinct()
    )


def working_hours_for(*, professional_id: int) -> QuerySet[WorkingHoursRule]:
    return WorkingHoursRule.objects.filter(professional_id=professional_id).order_by(
        "weekday", "start_time", "id"
    )


def schedule_exceptions_for(*, professional_id: int) -> QuerySet[ScheduleException]:
    return ScheduleException.objects.filter(professional_id=professional_id).order_by(
        "date", "start_time", "id"
    )


def calendar_feed_for(*, professional_id: int) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(professional_id=professional_id).first()
