"""Read helpers for working hours: everything the slot computation needs, in one query."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from core.db import columns, db_date, db_time

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


def schedules_load(
    *, professional_ids: Iterable[int], first_day: dt.date, last_day: dt.date
) -> dict[int, Schedule]:
    ids = list(dict.fromkeys(professional_ids))
    if not ids:
        return {}
    schedules = {pk: Schedule() for pk in ids}
    # For many professionals, only the rules of the weekdays the dates fall on (the "who is
    # free" search over one day would otherwise parse every professional's whole week) and,
    # of the others, only whether a professional has any ("no rules" means "books at any
    # time"). For one professional, the whole week.
    span = (last_day - first_day).days + 1
    weekdays = {(first_day + dt.timedelta(days=n)).weekday() for n in range(min(span, 7))}
    if len(ids) < 2 or len(weekdays) == 7:
        weekdays = set(range(7))
    national: list[ExceptionData] = []
    for marker, professional_id, weekday, start, end, slot, text, day, until in _rows(
        ids, sorted(weekdays), first_day, last_day
    ):
        if marker == "O":
            schedules[professional_id].other_rules = True
            continue
        if marker == "R":
            schedules[professional_id].rules.append(
                RuleData(
                    weekday=weekday,
                    start=db_time(start),
                    end=db_time(end),
                    slot_minutes=slot,
                    breaks=_parse_breaks(json.loads(text) if text else None),
                    valid_from=db_date(day),
                    valid_until=db_date(until),
                )
            )
            continue
        item = ExceptionData(
            date=db_date(day), kind=text, start=db_time(start), end=db_time(end), slot_minutes=slot
        )
        if professional_id is None:
            national.append(item)
        else:
            schedules[professional_id].exceptions.append(item)
    for schedule in schedules.values():
        schedule.exceptions += national
    return schedules


def _rows(
    ids: list[int], weekdays: list[int], first_day: dt.date, last_day: dt.date
) -> list[tuple[Any, ...]]:
    """Rules, exceptions and the other weekdays' markers in ONE statement (``UNION ALL``, a
    marker column tells them apart), written here rather than by the ORM: composing the three
    querysets cost ~1.5 ms of every booking and free-slot search, twenty times the statement.
    Table and column names come from the models; every value is a parameter; the empty
    columns are typed NULLs (a union takes one type per column). No ORDER BY: the order of
    the rows does not matter here."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    rule = columns(WorkingHoursRule)
    exception = columns(ScheduleException)
    rules_table = quote(WorkingHoursRule._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    params: list[Any] = [*ids]
    if len(weekdays) < 7:
        days = ", ".join(["%s"] * len(weekdays))
        rules_where = f"{rule['professional']} IN ({marks}) AND {rule['weekday']} IN ({days})"
        params += weekdays
    else:
        rules_where = f"{rule['professional']} IN ({marks})"
    # Identifiers from the models' meta, placeholders from this function.
    sql = (
        f"SELECT 'R', {rule['professional']}, {rule['weekday']}, {rule['start_time']}, "  # noqa: S608
        f"{rule['end_time']}, {rule['slot_minutes']}, CAST({rule['breaks']} AS TEXT), "
        f"{rule['valid_from']}, {rule['valid_until']} FROM {rules_table} WHERE {rules_where}"
        f" UNION ALL SELECT 'E', {exception['professional']}, CAST(NULL AS INTEGER), "
        f"{exception['start_time']}, {exception['end_time']}, {exception['slot_minutes']}, "
        f"{exception['kind']}, {exception['date']}, CAST(NULL AS DATE) "
        f"FROM {quote(ScheduleException._meta.db_table)} WHERE "
        f"({exception['professional']} IN ({marks}) OR {exception['professional']} IS NULL) "
        f"AND {exception['date']} >= %s AND {exception['date']} <= %s"
    )
    params += [*ids, first_day, last_day]
    if len(weekdays) < 7:
        sql += (
            f" UNION ALL SELECT DISTINCT 'O', {rule['professional']}, CAST(NULL AS INTEGER), "  # noqa: S608
            "CAST(NULL AS TIME), CAST(NULL AS TIME), CAST(NULL AS INTEGER), "
            "CAST(NULL AS TEXT), CAST(NULL AS DATE), CAST(NULL AS DATE) "
            f"FROM {rules_table} WHERE {rule['professional']} IN ({marks}) "
            f"AND {rule['weekday']} NOT IN ({days})"
        )
        params += [*ids, *weekdays]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


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
