"""Read helpers for appointments."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from .models import SLOT_FREEING_STATUSES, Appointment


def appointment_overlapping(
    *, professional_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> QuerySet[Appointment]:
    """Appointments of the professional whose ``[date, end)`` intersects ``[start, end)``."""
    queryset = Appointment.objects.filter(
        professional_id=professional_id, date__lt=end, end__gt=start
    ).exclude(status__in=SLOT_FREEING_STATUSES)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset


def appointment_list() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("professional", "patient").order_by("date", "id")
