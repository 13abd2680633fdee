"""Page-number pagination: 20 per page, ``?page_size=`` up to 100, strict about bad values.

``count`` is bounded: exact up to ``COUNT_CAP`` (1 000) results — counted over a ``LIMIT``ed
subquery, so a list never scans more than that many index entries to count — and beyond it
PostgreSQL's planner estimate (never below ``COUNT_CAP + 1``; the same statement's estimate is
reused for ``ESTIMATE_MAX_AGE`` seconds per process). Past the cap ``next`` is exact all the
same: the page is read with one extra row, so it says whether one more page exists.

A list found past the cap is not counted again while its estimate is held: for those
``ESTIMATE_MAX_AGE`` seconds each of its pages costs the page's statement alone (the capped
count read 1,001 entries on every page: ~90 of PostgreSQL's ~530 µs for a page of a month of a
clinic's agenda, 1.5 ms of a patients search over 50,000 names). Should its rows
fall to the cap or below in that time, ``count`` stays the estimate until it is asked again —
an estimate is what ``count`` promises past the cap — except on an empty first page, which is
counted then and there (``0`` and no results, never an estimate and no results).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

#: Up to this many results ``count`` is exact; past it, an estimate. Counting costs what the
#: cap costs (about 0.3 ms at 1 000 index entries, 3 ms at 10 000): the cap keeps a list's
#: latency the same at 10 000 and at 1 000 000 rows.
COUNT_CAP = 1_000

COUNT_DESCRIPTION = _(
    "Total de resultados: exato até 1.000; acima disso, uma estimativa (sempre maior que "
    "1.000), que a mesma lista reaproveita por até 60 s sem contar de novo. Para percorrer "
    "tudo, siga `next` até ele ser nulo."
)


#: How long (seconds) an estimate is reused, per process, for the same statement and values:
#: the planner's figure moves only with ``ANALYZE`` and the table's size, so asking again on
#: every request (an ``EXPLAIN``: a round trip and a planning) buys nothing but its cost.
ESTIMATE_MAX_AGE = 60.0
#: Estimates kept per process; when full, all are dropped and the next ones kept afresh.
ESTIMATES_KEPT = 512
_estimates: dict[Hashable, tuple[float, int]] = {}
_clock = time.monotonic


def estimate_remembered(key: Hashable, estimate: Callable[[], int | None]) -> int | None:
    """``estimate()``, or what it gave for ``key`` (the statement and its values) less than
    ``ESTIMATE_MAX_AGE`` seconds ago in this process."""
    held = estimate_held(key)
    if held is not None:
        return held
    value = estimate()
    if value is not None:
        if len(_estimates) >= ESTIMATES_KEPT:
            _estimates.clear()
        # A value that cannot be a key (never in the API's filters) is just not kept.
        with contextlib.suppress(TypeError):
            _estimates[key] = (_clock(), value)
    return value


def estimate_held(key: Hashable) -> int | None:
    """The estimate ``estimate_remembered`` holds for ``key`` (its list was past the cap less
    than ``ESTIMATE_MAX_AGE`` seconds ago in this process), or None: no need to count it."""
    try:
        held = _estimates.get(key)
    except TypeError:
        return None
    if held is None or _clock() - held[0] >= ESTIMATE_MAX_AGE:
        return None
    return held[1]


def estimate_drop(key: Hashable) -> None:
    """Forget ``key``'s estimate (its first page turned out empty: it is counted again)."""
    with contextlib.suppress(TypeError):
        _estimates.pop(key, None)


def estimates_forget() -> None:
    _estimates.clear()


def plan_rows(plan: Any) -> int:
    """The rows the planner expects, read off ``EXPLAIN (FORMAT JSON)``'s output (its text, or
    the value a driver already decoded)."""
    decoded = json.loads(plan) if isinstance(plan, str) else plan
    return int(decoded[0]["Plan"]["Plan Rows"])


def estimate_key(queryset: QuerySet[Any]) -> Hashable | None:
    """What ``queryset``'s estimate is remembered under (its database, and the SQL and values
    of its primary keys' statement), or None off PostgreSQL (no estimate there)."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return (queryset.db, sql, tuple(params))


def planner_estimate(queryset: QuerySet[Any], key: Hashable | None = None) -> int | None:
    """PostgreSQL's estimate of how many rows ``queryset`` returns (an EXPLAIN, no scan),
    remembered for ``ESTIMATE_MAX_AGE`` seconds under ``key`` (``estimate_key``'s).

    The plan asked for is the primary keys' alone: the same filters, hence the same estimate,
    without the columns and the ``select_related`` joins of the page (half the planning)."""
    key = key if key is not None else estimate_key(queryset)
    if key is None:
        return None
    keys = queryset.order_by().values("pk")

    def explain() -> int:
        return plan_rows(keys.explain(format="json"))

    return estimate_remembered(key, explain)


class CountedRows(list[Any]):
    """The first rows of a list computed only as far as a page needs (a list of rows, not a
    queryset), with the whole list's ``count``: exact, or an estimate (``next`` stays exact:
    the rows include one past the page when there is one)."""

    def __init__(self, rows: list[Any], *, count: int, exact: bool) -> None:
        super().__init__(rows)
        self.total = count
        self.exact = exact


class BoundedPage(Page):  # type: ignore[type-arg]
    def __init__(self, rows: list[Any], number: int, paginator: Any, *, more: bool) -> None:
        super().__init__(rows, number, paginator)
        self._more = more

    def has_next(self) -> bool:
        return self._more


class BoundedPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator with a bounded ``count`` (see the module's docstring)."""

    estimated = False
    #: The estimate's key when ``count`` is one held from an earlier request (not counted now).
    held_key: Hashable | None = None

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, CountedRows):
            self.estimated = not object_list.exact
            return object_list.total
        if not isinstance(object_list, QuerySet):
            return len(object_list)
        key = estimate_key(object_list)
        held = None if key is None else estimate_held(key)
        if held is not None:  # past the cap a moment ago: not counted again
            self.estimated, self.held_key = True, key
            return max(held, COUNT_CAP + 1)
        capped = object_list.order_by()[: COUNT_CAP + 1].count()
        if capped <= COUNT_CAP:
            return capped
        estimate = planner_estimate(object_list, key)
        if estimate is None:
            return object_list.count()
        self.estimated = True
        return max(estimate, COUNT_CAP + 1)

    def validate_number(self, number: Any) -> int:
        if self.count and self.estimated:
            return super().validate_number(1) if int(number) < 1 else int(number)
        validated: int = super().validate_number(number)
        return validated

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        if not self.estimated:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number == 1 and self.held_key is not None:
            # Emptied since its estimate was taken: counted now, not an estimate over nothing.
            estimate_drop(self.held_key)
            self.__dict__.pop("count", None)
            self.estimated, self.held_key = False, None
            return self.page(number)
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return BoundedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class StandardPagination(PageNumberPagination):
    django_paginator_class = BoundedPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_query_param = "page"
    invalid_page_message = str(_("Página inválida."))

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "":
            return 1
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError(
                {self.page_query_param: [_("Informe um número inteiro a partir de 1.")]}
            )
        return int(raw)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Informe um número inteiro entre 1 e %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
                parameter["description"] = str(_("Itens por página (padrão 20, máximo 100)."))
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = str(_("Número da página (começa em 1)."))
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        paginated["properties"]["count"]["description"] = str(COUNT_DESCRIPTION)
        return paginated
