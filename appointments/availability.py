"""Free slots: working windows (rules − exceptions) minus the appointments that hold a slot.

Queries are constant in the size of the answer: one for the rules and the exceptions
(``schedules_load``: a ``UNION ALL``), one for the appointments, backed by indexes
(``workhours_prof_weekday_idx``,
``schedexc_prof_date_idx``/``schedexc_date_idx`` and ``appointment_prof_date_idx``, the last
one as a bounded range scan: an appointment lasts at most ``MAX_DURATION_MINUTES``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.db import columns, db_datetime
from core.exceptions import BusinessRuleError
from professionals.schedule.selectors import Schedule, schedules_load
from professionals.schedule.windows import Window, day_windows, local_days, merged

from .models import HOLDS_SLOT, MAX_DURATION_MINUTES, Appointment

MAX_WINDOW_DAYS = 31


class Slot(NamedTuple):
    """A free ``[start, end)`` (a tuple: a day's search makes hundreds of them)."""

    start: dt.datetime
    end: dt.datetime


Busy = list[tuple[dt.datetime, dt.datetime]]


def busy_queryset(
    *, professional_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> QuerySet[Appointment]:
    """A range scan of ``appointment_prof_date_idx``: no appointment lasts longer than
    ``MAX_DURATION_MINUTES``, so none starting earlier than that can reach ``start``."""
    return Appointment.objects.filter(
        HOLDS_SLOT,
        professional_id__in=list(professional_ids),
        date__gte=start - dt.timedelta(minutes=MAX_DURATION_MINUTES),
        date__lt=end,
        end__gt=start,
    ).order_by()


def busy_intervals(
    *, professional_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, Busy]:
    """``[date, end)`` of the appointments holding a slot that intersect ``[start, end)``:
    ``busy_queryset``'s rows, read by a statement written here (composing the queryset cost
    ~0.8 ms of every free-slot search, several times the statement itself)."""
    ids = list(dict.fromkeys(professional_ids))
    busy: dict[int, Busy] = defaultdict(list)
    if not ids:
        return busy
    connection = connections[DEFAULT_DB_ALIAS]
    adapt = connection.ops.adapt_datetimefield_value
    holds_sql, holds_params = _holds_slot(connection.vendor)
    marks = ", ".join(["%s"] * len(ids))
    named = columns(Appointment)
    professional, date = named["professional"], named["date"]
    # The duration (an int) rather than "end" (a second timestamp to convert per row).
    # Identifiers from the model's meta, placeholders from here, every value a parameter.
    sql = (
        f"SELECT {professional}, {date}, {named['duration_minutes']} "  # noqa: S608
        f"FROM {connection.ops.quote_name(Appointment._meta.db_table)} WHERE {holds_sql} "
        f"AND {professional} IN ({marks}) AND {date} >= %s AND {date} < %s "
        f"AND {named['end']} > %s"
    )
    earliest = start - dt.timedelta(minutes=MAX_DURATION_MINUTES)
    params = [*holds_params, *ids, adapt(earliest), adapt(end), adapt(start)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for professional_id, stored, minutes in rows:
        begin: dt.datetime = db_datetime(stored)  # type: ignore[assignment]  # never NULL
        busy[professional_id].append((begin, begin + dt.timedelta(minutes=minutes)))
    for intervals in busy.values():
        intervals.sort()
    return busy


@functools.cache
def _holds_slot(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """``HOLDS_SLOT`` as the ORM writes it in a WHERE clause (compiled once: it is a
    constant), with its parameters."""
    query = Appointment.objects.filter(HOLDS_SLOT).query
    compiler = query.get_compiler(DEFAULT_DB_ALIAS)
    sql, params = compiler.compile(query.where)
    return sql, tuple(params)


def free_slots(
    *,
    windows: Iterable[Window],
    busy: Busy,
    start: dt.datetime,
    end: dt.datetime,
    duration_minutes: int | None,
) -> list[Slot]:
    """Slots of each window (stepping by its slot length) of ``duration_minutes`` (default:
    the window's slot length) that start in ``[start, end)``, fit in the window and are free."""
    # All in UTC: comparing datetimes of different zones costs a utcoffset() each time.
    busy = [(begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)) for begin, finish in busy]
    starts = [item[0] for item in busy]
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    found: dict[dt.datetime, Slot] = {}
    for window in windows:
        step = dt.timedelta(minutes=window.slot_minutes)
        length = dt.timedelta(minutes=duration_minutes or window.slot_minutes)
        cursor = window.start.astimezone(dt.UTC)
        last = window.end.astimezone(dt.UTC) - length
        while cursor <= last:
            if start <= cursor < end and cursor not in found:
                finish = cursor + length
                # Busy intervals of one professional never overlap each other (exclusion
                # constraint), so sorted by start they are sorted by end too: only the one
                # starting last before `finish` can reach into [cursor, finish).
                index = bisect.bisect_left(starts, finish) - 1
                if index < 0 or busy[index][1] <= cursor:
                    found[cursor] = Slot(cursor, finish)
            cursor += step
    return [found[key] for key in sorted(found)]


def check_window(*, start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise BusinessRuleError(_("O fim deve ser posterior ao início."), field="end")
    if end - start > dt.timedelta(days=MAX_WINDOW_DAYS):
        raise BusinessRuleError(
            _("O intervalo pode ter no máximo %(days)d dias.") % {"days": MAX_WINDOW_DAYS},
            field="end",
        )


def _windows(schedule: Schedule, days: list[dt.date]) -> list[Window]:
    # A slot starting late on the last local day may also be asked for; windows never cross
    # midnight, so the local days touched by [start, end) (``days``) are enough.
    return [
        window for day in days for window in day_windows(day, schedule.rules, schedule.exceptions)
    ]


def availability_search(
    *,
    professional_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    duration_minutes: int | None = None,
) -> dict[int, tuple[bool, list[Slot]]]:
    """For each professional: (has working hours, free slots in ``[start, end)``)."""
    check_window(start=start, end=end)
    days = local_days(start, end)
    schedules = schedules_load(
        professional_ids=professional_ids, first_day=days[0], last_day=days[-1]
    )
    with_rules = [pk for pk, schedule in schedules.items() if schedule.has_rules]
    busy = busy_intervals(professional_ids=with_rules, start=start, end=end) if with_rules else {}
    result: dict[int, tuple[bool, list[Slot]]] = {}
    for pk in professional_ids:
        schedule = schedules[pk]
        if not schedule.has_rules:
            result[pk] = (False, [])
            continue
        slots = free_slots(
            windows=_windows(schedule, days),
            busy=busy.get(pk, []),
            start=start,
            end=end,
            duration_minutes=duration_minutes,
        )
        result[pk] = (True, slots)
    return result


def appointment_hours_check(*, professional_id: int, start: dt.datetime, end: dt.datetime) -> None:
    """400 on ``date`` when the professional has working hours and ``[start, end)`` is not
    inside them (no rules at all: any time, as in v1)."""
    days = local_days(start, end)
    schedule = schedules_load(
        professional_ids=[professional_id], first_day=days[0], last_day=days[-1]
    )[professional_id]
    if not schedule.has_rules:
        return
    spans = merged(_windows(schedule, days))
    if any(begin <= start and end <= finish for begin, finish in spans):
        return
    raise BusinessRuleError(
        _(
            "Horário fora do expediente do profissional. Consulte os horários livres em "
            "/api/professionals/%(id)d/availability/."
        )
        % {"id": professional_id},
        field="date",
    )
