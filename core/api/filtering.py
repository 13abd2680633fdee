"""django-filter, paying only for the filters a request asks for.

``FilterBackend``: django-filter's backend, skipped when the request asks for no filter at all.

Applying a ``FilterSet`` costs a deep copy of its filters and a bound form per request, even
when none of its parameters is in the query string — every detail read (DRF's ``get_object``
filters the queryset too) and every unfiltered list. With no parameter present the result is
the queryset unchanged (django-filter skips empty values and no filter here is required), so
the backend returns it without building the form. Any parameter whose name starts with a
filter's name (range suffixes such as ``_min``/``_after`` included) takes the whole path.

``RequestedFilterSet``: a ``FilterSet`` bound to a query string copies, and puts in its form,
only the filters the query string names (by the same rule). The others would be skipped
anyway (no value), so the queryset, the validation errors and the 400 answers are the same;
the documentation (drf-spectacular) reads the class's filters, which are all still there.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend


@cache
def _filter_names(filterset_class: type) -> tuple[str, ...]:
    return tuple(filterset_class.base_filters)  # type: ignore[attr-defined]


def asks_for_a_filter(query_params: Any, filterset_class: type) -> bool:
    names = _filter_names(filterset_class)
    return any(key.startswith(names) for key in query_params)


def _named(filterset_class: type, query_params: Any) -> dict[str, Any]:
    base: dict[str, Any] = filterset_class.base_filters  # type: ignore[attr-defined]
    return {
        name: filter_
        for name, filter_ in base.items()
        if any(key.startswith(name) for key in query_params)
    }


class RequestedFilterSet(django_filters.FilterSet):
    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        if data is not None and not prefix:
            # Read (and deep-copied) by FilterSet.__init__: the instance's own subset.
            self.base_filters = _named(type(self), data)
        super().__init__(data, queryset, request=request, prefix=prefix)


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not request.query_params:
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not asks_for_a_filter(request.query_params, filterset_class):
            return queryset
        filtered: QuerySet[Any] = super().filter_queryset(request, queryset, view)
        return filtered
