"""Applying the transition table to an appointment (shared by webhooks and polling sync)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, PaymentStatus
from payments.models import TransactionType, WebhookEvent
from payments.services.ledger import transaction_record
from payments.services.transitions import CHARGEBACK_EVENTS, REFUND_EVENTS, transition_target

NOTIFIED_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.CANCELED, PaymentStatus.REFUNDED})


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except InvalidOperation:
        return None


def _refunded_total(payment: Mapping[str, Any]) -> Decimal | None:
    refunds = payment.get("refunds") or []
    values = [_money(refund.get("value")) for refund in refunds if isinstance(refund, Mapping)]
    amounts = [value for value in values if value is not None]
    return sum(amounts, Decimal("0.00")) if amounts else None


def appointment_notify_on_commit(*, appointment: Appointment, status: str) -> None:
    """Tell the patient once the transaction commits (PAID, CANCELED and REFUNDED only)."""
    if status not in NOTIFIED_STATUSES:
        return
    from payments.tasks import appointment_notify_task  # tasks import services: import late

    transaction.on_commit(
        partial(appointment_notify_task.delay, appointment.pk, status), robust=True
    )


def appointment_transition_apply(
    *,
    appointment: Appointment,
    event: str,
    payment: Mapping[str, Any],
    transaction_type: str,
    webhook_event: WebhookEvent | None = None,
) -> str | None:
    """Move a (locked) appointment per the table; returns the new status or None if ignored."""
    previous = appointment.status
    target = transition_target(event, previous)
    if target is None:
        return None
    payment_id = str(payment.get("id") or "")
    if payment_id and not appointment.asaas_payment_id:
        appointment.asaas_payment_id = payment_id
    if payment.get("invoiceUrl") and not appointment.asaas_invoice_url:
        appointment.asaas_invoice_url = str(payment["invoiceUrl"])
    if target == PaymentStatus.PAID and appointment.paid_at is None:
        appointment.paid_at = timezone.now()
    amount = _money(payment.get("value"))
    refunded_now = Decimal("0.00")
    if event in REFUND_EVENTS or event in CHARGEBACK_EVENTS:
        refunded = _refunded_total(payment)
        if target == PaymentStatus.REFUNDED:
            refunded = appointment.total_amount
        if refunded is not None and refunded > appointment.refunded_amount:
            # Only what this event adds: a refund made through our API is already counted.
            refunded_now = refunded - appointment.refunded_amount
            appointment.refunded_amount = refunded
    appointment.status = target
    appointment.last_payment_error = ""
    appointment.save()
    transaction_record(
        appointment=appointment,
        transaction_type=transaction_type,
        succeeded=True,
        amount=amount,
        asaas_payment_id=payment_id,
        webhook_event=webhook_event,
        response_payload={"event": event, "from": previous, "to": target},
    )
    if refunded_now > 0:
        transaction_record(
            appointment=appointment,
            transaction_type=(
                TransactionType.CHARGEBACK if event in CHARGEBACK_EVENTS else TransactionType.REFUND
            ),
            succeeded=True,
            amount=refunded_now,
            webhook_event=webhook_event,
        )
    if target != previous:
        appointment_notify_on_commit(appointment=appointment, status=target)
    return target
