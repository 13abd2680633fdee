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

from core.exceptions import BusinessRuleError, ConflictError, NotFoundError
from professionals.models import Professional

from .billing import appointment_billing_guard, appointment_billing_prepare
from .models import (
    CANCELLED_BOOKING_STATUSES,
    DEFAULT_DURATION_MINUTES,
    SLOT_FREEING_STATUSES,
    Appointment,
    Patient,
)
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


def _holds_slot(appointment: Appointment) -> bool:
    return (
        appointment.status not in SLOT_FREEING_STATUSES
        and appointment.booking_status not in CANCELLED_BOOKING_STATUSES
    )


def _ensure_free(*, appointment: Appointment) -> None:
    if not _holds_slot(appointment):
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


def professionals_lock(*, professional_ids: set[int]) -> set[int]:
    """Lock the professionals' rows, in id order; returns the ids that still exist.

    Lock order of every writer: professional(s) → appointment → charge. Booking serialises on
    the professional, and deleting a professional locks it before its appointments go, so a
    writer that took an appointment first and the professional second could deadlock with it.
    """
    found: set[int] = set()
    for professional_id in sorted(professional_ids):
        locked = (
            Professional.objects.select_for_update()
            .filter(pk=professional_id)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is not None:
            found.add(locked)
    return found


def _save_checked(*, appointment: Appointment, check_hours: bool) -> Appointment:
    # Serialise bookings per professional: the second writer waits, then sees the first. A
    # professional deleted meanwhile (the writer waited behind the delete) is bad input.
    if not professionals_lock(professional_ids={appointment.professional_id}):
        raise BusinessRuleError(_("Profissional não encontrado."), field="professional")
    appointment.compute_end()
    if check_hours and _holds_slot(appointment):
        from .availability import appointment_hours_check

        appointment_hours_check(
            professional_id=appointment.professional_id,
            start=appointment.date,
            end=appointment.end,
        )
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
    allow_outside_hours: bool = False,
    **extra: Any,
) -> Appointment:
    """Book; outside the professional's working hours only with ``allow_outside_hours``
    (the API lets staff alone ask for it)."""
    appointment = Appointment(
        professional=professional, date=date, duration_minutes=duration_minutes, **extra
    )
    appointment_billing_prepare(appointment=appointment)
    return _save_checked(appointment=appointment, check_hours=not allow_outside_hours)


@transaction.atomic
def appointment_update(
    *, appointment: Appointment, data: dict[str, Any], allow_outside_hours: bool = False
) -> Appointment:
    # Re-read the row under a lock and change that instance: the one the view read may be
    # stale (the charge task or a webhook may have written its payment fields meanwhile), and
    # a concurrent DELETE that won the race is a 404 (a plain save() would re-insert the row).
    # The professionals (current and new) are locked before the appointment: see
    # professionals_lock for the order.
    current = (
        Appointment.objects.filter(pk=appointment.pk)
        .values_list("professional_id", flat=True)
        .first()
    )
    if current is None:
        raise NotFoundError(_("Não encontrado."))
    target = data.get("professional")
    professionals_lock(professional_ids={current, getattr(target, "pk", None) or current})
    locked = (
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("professional")
        .filter(pk=appointment.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    if locked.professional_id != current:
        # Moved to another professional between the read and the lock: that one is unlocked.
        raise ConflictError(_("A consulta foi alterada por outra requisição; tente de novo."))
    changed = {field for field, value in data.items() if getattr(locked, field) != value}
    appointment_billing_guard(appointment=locked, changed=changed)
    for field, value in data.items():
        setattr(locked, field, value)
    appointment_billing_prepare(appointment=locked)
    moved = bool(changed & {"date", "duration_minutes", "professional"})
    return _save_checked(appointment=locked, check_hours=moved and not allow_outside_hours)


@transaction.atomic
def appointment_delete(*, appointment: Appointment) -> None:
    locked = Appointment.objects.select_for_update(of=("self",)).filter(pk=appointment.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    locked.delete()


@transaction.atomic
def patient_create(*, created_by: Any, **data: Any) -> Patient:
    return Patient.objects.create(created_by=created_by, **data)


@transaction.atomic
def patient_update(*, patient: Patient, data: dict[str, Any]) -> Patient:
    """Re-read the row under a lock and change that instance (the charge task may have just
    recorded the patient's Asaas customer id)."""
    locked = Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    changed = [field for field, value in data.items() if getattr(locked, field) != value]
    for field in changed:
        setattr(locked, field, data[field])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


@transaction.atomic
def patient_delete(*, patient: Patient) -> None:
    locked = Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    locked.delete()
