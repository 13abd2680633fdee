"""The booking lifecycle of an appointment — distinct from its payment ``status``.

One table of allowed steps (``TRANSITIONS``) and one writer (``booking_transition``). A
cancellation gives the slot back (the exclusion constraint ignores cancelled bookings) and
decides, at that moment, what the payment must do (``payment_action``); a task carries it out
afterwards (``booking_cancellation_settle``), outside any transaction, because cancelling or
refunding a charge talks to Asaas.

Refund policy: a professional's cancellation refunds a paid appointment in full; a patient's
too when made at least ``BOOKING_FULL_REFUND_HOURS`` before the start, otherwise nothing is
refunded automatically (staff may still refund through the payment actions). An unpaid billed
appointment has its charge cancelled.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import BusinessRuleError, ConflictError, DomainError, NotFoundError

from .models import (
    CANCELLED_BOOKING_STATUSES,
    Appointment,
    BookingEvent,
    BookingStatus,
    PaymentStatus,
)

logger = logging.getLogger("appointments.lifecycle")

B = BookingStatus
#: (source, target) → the rule about time: "before_end" (not over yet) or "after_start".
TRANSITIONS: dict[tuple[str, str], str] = {
    (B.SCHEDULED, B.CONFIRMED): "before_end",
    (B.SCHEDULED, B.CANCELLED_BY_PATIENT): "before_end",
    (B.SCHEDULED, B.CANCELLED_BY_PROFESSIONAL): "before_end",
    (B.CONFIRMED, B.CANCELLED_BY_PATIENT): "before_end",
    (B.CONFIRMED, B.CANCELLED_BY_PROFESSIONAL): "before_end",
    (B.CONFIRMED, B.COMPLETED): "after_start",
    (B.CONFIRMED, B.NO_SHOW): "after_start",
}

CANCEL_CHARGE = "CANCEL_CHARGE"
FULL_REFUND = "FULL_REFUND"
NO_REFUND = "NONE"
UNPAID_BILLED = frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.FAILED})


def booking_payment_action(
    *, appointment: Appointment, target: str, now: dt.datetime | None = None
) -> str:
    """What cancelling ``appointment`` (to ``target``) asks of its payment, now."""
    if target not in CANCELLED_BOOKING_STATUSES:
        return ""
    if appointment.status in UNPAID_BILLED:
        return CANCEL_CHARGE
    if appointment.status != PaymentStatus.PAID:
        return ""
    if target == B.CANCELLED_BY_PROFESSIONAL:
        return FULL_REFUND
    notice = appointment.date - (now or timezone.now())
    if notice >= dt.timedelta(hours=settings.BOOKING_FULL_REFUND_HOURS):
        return FULL_REFUND
    return NO_REFUND


def booking_transition(
    *, appointment_id: int, target: str, actor: Any = None, reason: str = ""
) -> BookingEvent:
    """Move the booking to ``target`` if the table allows it from its current status."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None:
            raise NotFoundError(_("Consulta não encontrada."))
        source = appointment.booking_status
        rule = TRANSITIONS.get((source, target))
        if rule is None:
            raise ConflictError(
                _("A consulta está %(source)s: não pode passar para %(target)s.")
                % {
                    "source": BookingStatus(source).label.lower(),
                    "target": BookingStatus(target).label.lower(),
                },
                field="booking_status",
            )
        now = timezone.now()
        if rule == "after_start" and now < appointment.date:
            raise BusinessRuleError(_("A consulta ainda não começou."), field="booking_status")
        if rule == "before_end" and now >= appointment.end:
            raise BusinessRuleError(_("A consulta já terminou."), field="booking_status")
        action = booking_payment_action(appointment=appointment, target=target, now=now)
        appointment.booking_status = target
        appointment.booking_changed_at = now
        appointment.booking_changed_by = actor if getattr(actor, "pk", None) else None
        appointment.save(
            update_fields=[
                "booking_status",
                "booking_changed_at",
                "booking_changed_by",
                "updated_at",
            ]
        )
        event = BookingEvent.objects.create(
            appointment=appointment,
            source=source,
            target=target,
            actor=appointment.booking_changed_by,
            reason=reason[:500],
            payment_action=action,
        )
        if action in {CANCEL_CHARGE, FULL_REFUND}:
            from .tasks import booking_cancellation_settle_task

            transaction.on_commit(
                partial(booking_cancellation_settle_task.delay, appointment.pk), robust=True
            )
    return event


#: booking_cancellation_settle outcomes.
SETTLED = "SETTLED"
NOTHING_TO_DO = "NOTHING_TO_DO"
RETRY = "RETRY"


def booking_cancellation_settle(*, appointment_id: int) -> str:
    """Apply to the payment what the cancellation decided. Safe to run again: it acts only
    while the charge is still open (cancel) or paid and not refunded (refund)."""
    from payments.services.asaas_service import AsaasError
    from payments.services.charge_actions import charge_cancel, charge_refund

    appointment = Appointment.objects.filter(pk=appointment_id).first()
    if appointment is None or appointment.booking_status not in CANCELLED_BOOKING_STATUSES:
        return NOTHING_TO_DO
    event = (
        BookingEvent.objects.filter(
            appointment_id=appointment_id, target__in=CANCELLED_BOOKING_STATUSES
        )
        .order_by("-created_at", "-id")
        .first()
    )
    action = event.payment_action if event is not None else ""
    try:
        if appointment.status in UNPAID_BILLED and action in {CANCEL_CHARGE, FULL_REFUND}:
            charge_cancel(appointment_id=appointment_id)
            return SETTLED
        if (
            appointment.status == PaymentStatus.PAID
            and action in {CANCEL_CHARGE, FULL_REFUND}
            and not appointment.refunded_amount
        ):
            # Paid after the cancellation (CANCEL_CHARGE) or paid and refundable: in full.
            charge_refund(
                appointment_id=appointment_id,
                description=_("Consulta cancelada"),
            )
            return SETTLED
    except (DomainError, AsaasError) as error:
        logger.warning(
            "cancellation settle deferred appointment=%s: %s", appointment_id, type(error).__name__
        )
        return RETRY
    return NOTHING_TO_DO


def booking_cancellations_unsettled(*, older_than: dt.timedelta, limit: int = 200) -> list[int]:
    """Cancelled bookings whose payment effect has not happened yet (the hand-off after commit
    is not durable: a broker outage, a crash). ``booking_cancellation_settle`` is idempotent."""
    from django.db.models import Exists, OuterRef, Q

    asked = BookingEvent.objects.filter(
        appointment=OuterRef("pk"),
        target__in=CANCELLED_BOOKING_STATUSES,
        payment_action__in=[CANCEL_CHARGE, FULL_REFUND],
    )
    return list(
        Appointment.objects.filter(
            booking_status__in=CANCELLED_BOOKING_STATUSES,
            booking_changed_at__lt=timezone.now() - older_than,
        )
        .filter(Q(status__in=UNPAID_BILLED) | Q(status=PaymentStatus.PAID, refunded_amount=0))
        .filter(Exists(asked))
        .order_by("booking_changed_at")
        .values_list("pk", flat=True)[:limit]
    )
