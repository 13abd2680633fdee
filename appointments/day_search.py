"""Who is free on a day: the professionals of a list, in its order, with their free slots —
computed only as far as the page asked for needs.

The candidates are the professionals with a working-hours rule that applies on the day, or
with extra hours that day and some rule (the search lists only professionals with working
hours). They are examined in batches, in the list's order, until the page and one row more
are found (so ``next`` is exact) or the candidates run out. A page costs its batch, not the
whole list: with 1,000 professionals, the first page examines about 25 of them.

``count`` is exact when every candidate was examined (a short list, the last pages); before
that it is an estimate: the rows found so far plus the candidates not yet examined, in the
proportion of the examined ones that had a free slot. The candidates are counted once per
``ESTIMATE_MAX_AGE`` seconds per process, as the lists' estimates are.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from core.api.pagination import estimate_key, estimate_remembered
from core.db import column, columns
from professionals.models import Professional
from professionals.schedule.models import ExceptionKind, ScheduleException, WorkingHoursRule
from professionals.schedule.windows import local_zone

from .availability import Slot, availability_search

#: A first batch holds the rows wanted and this share more (the professionals examined that
#: turn out to have no free slot, a fully booked day or a day off, are made up for at once).
SPARE_SHARE = 8
#: The rows a search computes at most (a page number past every professional is answered
#: "invalid page" after at most this many, never a statement with an absurd LIMIT).
MAX_ROWS = 100_000
#: Below this share of candidates with a free slot, a batch is sized as if it were this.
MIN_HIT_RATE = 0.125
#: The professional's columns a page shows (``ProfessionalSummarySerializer``'s).
SHOWN_COLUMNS = ("id", "preferred_name", "profession")


@dataclass(frozen=True)
class DayRow:
    professional: Professional
    slots: list[Slot]


@dataclass(frozen=True)
class DayRows:
    """The first rows of the day's search (at least ``wanted`` unless there are fewer), and
    its ``count``: exact when ``exact``, else an estimate."""

    rows: list[DayRow]
    count: int
    exact: bool


def day_candidates(professionals: QuerySet[Professional], day: dt.date) -> QuerySet[Professional]:
    """``professionals`` that may have a free slot on ``day``: a rule applying on it, or extra
    hours that day and a rule on any weekday. One semi-join per professional on the rules'
    ``professional_id`` index, so a page's batch reads its professionals' rules only. The
    condition is written here (composing the ORM's ``Exists`` of an ``OuterRef`` cost ~0.5 ms
    per request); only the columns a page shows are read."""
    connection = connections[professionals.db]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    rule, exception = columns(WorkingHoursRule), columns(ScheduleException)
    # Identifiers from the models' meta, every value a parameter.
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(WorkingHoursRule._meta.db_table)} "  # noqa: S608
        f"WHERE {rule['professional']} = {column(Professional, 'id')} AND (("
        f"{rule['weekday']} = %s "
        f"AND ({rule['valid_from']} IS NULL OR {rule['valid_from']} <= %s) "
        f"AND ({rule['valid_until']} IS NULL OR {rule['valid_until']} >= %s)) "
        f"OR EXISTS (SELECT 1 FROM {quote(ScheduleException._meta.db_table)} "
        f"WHERE {exception['professional']} = {rule['professional']} "
        f"AND {exception['date']} = %s AND {exception['kind']} = %s)))"
    )
    params = [day.weekday(), adapt(day), adapt(day), adapt(day), str(ExceptionKind.EXTRA_HOURS)]
    condition = RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (see above)
    return professionals.filter(condition).only(*SHOWN_COLUMNS)


def _candidates_counted(candidates: QuerySet[Professional]) -> int:
    key = estimate_key(candidates)
    if key is None:
        return candidates.count()
    counted = estimate_remembered(key, candidates.count)
    assert counted is not None
    return counted


def availability_day_search(
    *,
    professionals: QuerySet[Professional],
    day: dt.date,
    duration_minutes: int | None,
    wanted: int,
) -> DayRows:
    """The first ``wanted`` (or more) professionals of ``professionals`` (ordered) with a free
    slot on ``day``, and the search's ``count`` (see the module's docstring)."""
    wanted = min(wanted, MAX_ROWS)
    zone = local_zone()
    start = dt.datetime.combine(day, dt.time()).replace(tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=zone)
    candidates = day_candidates(professionals, day)
    rows: list[DayRow] = []
    examined = 0
    batch = wanted + max(2, wanted // SPARE_SHARE)
    while True:
        professionals_batch = list(candidates[examined : examined + batch])
        if not professionals_batch:
            return DayRows(rows=rows, count=len(rows), exact=True)
        found = availability_search(
            professional_ids=[item.pk for item in professionals_batch],
            start=start,
            end=end,
            duration_minutes=duration_minutes,
        )
        rows += [
            DayRow(professional=item, slots=found[item.pk][1])
            for item in professionals_batch
            if found[item.pk][1]
        ]
        examined += len(professionals_batch)
        if len(professionals_batch) < batch:
            return DayRows(rows=rows, count=len(rows), exact=True)
        if len(rows) >= wanted:
            break
        rate = max(len(rows) / examined, MIN_HIT_RATE)
        batch = max(2 * batch, math.ceil((wanted - len(rows)) / rate))
    # Had the last batch ended exactly at the last candidate, this is len(rows): still an
    # estimate, as the count it rests on may be up to ESTIMATE_MAX_AGE seconds old.
    remaining = max(_candidates_counted(candidates) - examined, 0)
    estimate = len(rows) + round(remaining * len(rows) / examined)
    return DayRows(rows=rows, count=estimate, exact=False)
