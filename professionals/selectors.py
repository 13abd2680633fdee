"""Read helpers for professionals."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Professional


def professional_list_for(*, user: Any) -> QuerySet[Professional]:
    """Staff see everyone; a professional user only themself; anyone else nobody."""
    queryset = Professional.objects.order_by("preferred_name", "id")
    if user.is_staff:
        return queryset
    own = getattr(user, "professional", None)
    return queryset.filter(pk=own.pk) if own is not None else queryset.none()
