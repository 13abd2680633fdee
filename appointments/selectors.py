"""Read helpers for appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from .models import HOLDS_SLOT, Appointment, Patient


def appointment_overlapping(
    *, professional_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> QuerySet[Appointment]:
    """Appointments of the professional whose ``[date, end)`` intersects ``[start, end)``."""
    queryset = Appointment.objects.filter(
        HOLDS_SLOT, professional_id=professional_id, date__lt=end, end__gt=start
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset


def appointment_list() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("professional", "patient").order_by("date", "id")


def appointment_list_for(*, user: Any) -> QuerySet[Appointment]:
    """Staff see every appointment; a professional user only their own."""
    queryset = appointment_list()
    if user.is_staff:
        return queryset
    own = getattr(user, "professional", None)
    return queryset.filter(professional=own) if own is not None else queryset.none()


#: The professional's columns an appointment's body shows (``professional_data``).
PROFESSIONAL_SUMMARY_FIELDS = frozenset({"id", "preferred_name", "profession"})


def appointment_read_list_for(*, user: Any) -> QuerySet[Appointment]:
    """``appointment_list_for`` for reads (list and detail): of the professional only the
    columns its summary shows, and no patient row (the body shows the patient's id only)."""
    from professionals.models import Professional

    deferred = [
        f"professional__{field.attname}"
        for field in Professional._meta.concrete_fields
        if field.name not in PROFESSIONAL_SUMMARY_FIELDS
    ]
    return (
        appointment_list_for(user=user)
        .select_related(None)
        .select_related("professional")
        .defer(*deferred)
    )


def patient_list_for(*, user: Any) -> QuerySet[Patient]:
    """Staff see every patient; a professional user the patients of their appointments and
    the ones they registered."""
    queryset = Patient.objects.order_by("name", "id")
    if user.is_staff:
        return queryset
    own = getattr(user, "professional", None)
    if own is None:
        return queryset.none()
    visible = Patient.objects.filter(Q(appointments__professional=own) | Q(created_by=user))
    return queryset.filter(pk__in=visible.values("pk"))
