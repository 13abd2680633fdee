"""Read helpers for professionals."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from core.db import BIGINT_MAX, row_exists_statement

from .models import Professional


def professional_list_for(*, user: Any) -> QuerySet[Professional]:
    """Staff see everyone; a professional user only themself; anyone else nobody."""
    queryset = Professional.objects.order_by("preferred_name", "id")
    if user.is_staff:
        return queryset
    own = getattr(user, "professional", None)
    return queryset.filter(pk=own.pk) if own is not None else queryset.none()


def professional_visible(*, user: Any, pk: int) -> bool:
    """Whether ``professional_list_for(user=user)`` holds the professional ``pk``, by its
    rules rather than by composing that queryset (a check every free-slot search makes):
    for staff, whether the row exists; for a professional user, whether it is theirs."""
    if not 0 < pk <= BIGINT_MAX:
        return False  # no such key (SQLite could not even bind it)
    if user.is_staff:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(row_exists_statement(Professional), [pk])
            return cursor.fetchone() is not None
    own = getattr(user, "professional", None)
    return own is not None and own.pk == pk
