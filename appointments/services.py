"""Write operations on appointments. They own transactions and the no-double-booking rule.

The rule is checked twice: first by a query under a lock on the professional's row (same
answer on every database), then by the PostgreSQL exclusion constraint
``appointment_no_overlap``, which holds even for writers that bypass this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.exceptions import ConflictError, NotFoundError
from professionals.models import Professional

from .billing import appointment_billing_guard, appointment_billing_prepare
from .models import DEFAULT_DURATION_MINUTES, SLOT_FREEING_STATUSES, Appointment
from .selectors import appointment_overlapping

OVERLAP_CONSTRAINT = "appointment_no_overlap"


def _conflict(*, start: datetime, end: datetime) -> ConflictError:
    local_start = timezone.localtime(start)
    local_end = timezone.localtime(end)
    return ConflictError(
        _("O profissional já tem uma consulta entre %(start)s e %(end)s.")
        % {
            "start": date_format(local_start, "d/m/Y H:i"),
            "end": date_format(local_end, "H:i"),
        },
        field="date",
    )


def _ensure_free(*, appointment: Appointment) -> None:
    if appointment.status in SLOT_FREEING_STATUSES:
        return
    clash = (
        appointment_overlapping(
            professional_id=appointment.professional_id,
            start=appointment.date,
            end=appointment.end,
            exclude_id=appointment.pk,
        )
        .order_by("date")
        .first()
    )
    if clash is not None:
        raise _conflict(start=clash.date, end=clash.end)


def _save_checked(*, appointment: Appointment) -> Appointment:
    # Serialise bookings per professional: the second writer waits, then sees the first.
    Professional.objects.select_for_update().filter(pk=appointment.professional_id).first()
    appointment.compute_end()
    _ensure_free(appointment=appointment)
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        if OVERLAP_CONSTRAINT in str(error):
            raise _conflict(start=appointment.date, end=appointment.end) from error
        raise
    return appointment


@transaction.atomic
def appointment_create(
    *,
    professional: Professional,
    date: datetime,
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
    **extra: Any,
) -> Appointment:
    appointment = Appointment(
        professional=professional, date=date, duration_minutes=duration_minutes, **extra
    )
    appointment_billing_prepare(appointment=appointment)
    return _save_checked(appointment=appointment)


@transaction.atomic
def appointment_update(*, appointment: Appointment, data: dict[str, Any]) -> Appointment:
    # Lock the row: a concurrent DELETE that won the race is a 404 (a plain save() would
    # silently re-insert the deleted appointment).
    if not Appointment.objects.select_for_update().filter(pk=appointment.pk).exists():
        raise NotFoundError(_("Não encontrado."))
    changed = {field for field, value in data.items() if getattr(appointment, field) != value}
    appointment_billing_guard(appointment=appointment, changed=changed)
    for field, value in data.items():
        setattr(appointment, field, value)
    appointment_billing_prepare(appointment=appointment)
    return _save_checked(appointment=appointment)


@transaction.atomic
def appointment_delete(*, appointment: Appointment) -> None:
    appointment.delete()
