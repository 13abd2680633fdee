"""django-filter's backend, skipped when the request asks for no filter at all.

Applying a ``FilterSet`` costs a deep copy of its filters and a bound form per request, even
when none of its parameters is in the query string — every detail read (DRF's ``get_object``
filters the queryset too) and every unfiltered list. With no parameter present the result is
the queryset unchanged (django-filter skips empty values and no filter here is required), so
the backend returns it without building the form. Any parameter whose name starts with a
filter's name (range suffixes such as ``_min``/``_after`` included) takes the whole path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend


@cache
def _filter_names(filterset_class: type) -> tuple[str, ...]:
    return tuple(filterset_class.base_filters)  # type: ignore[attr-defined]


def asks_for_a_filter(query_params: Any, filterset_class: type) -> bool:
    names = _filter_names(filterset_class)
    return any(key.startswith(names) for key in query_params)


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not request.query_params:
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not asks_for_a_filter(request.query_params, filterset_class):
            return queryset
        filtered: QuerySet[Any] = super().filter_queryset(request, queryset, view)
        return filtered
