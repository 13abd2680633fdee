"""The explicit state machine of an appointment's payment.

``WEBHOOK_TRANSITIONS[event][current_status]`` is the new status. Anything not in the table —
an unknown event, or a known event arriving when the appointment has moved on (out of order,
redelivered) — changes nothing and is recorded as IGNORED. The table only moves forward:

    PENDING ─CREATED─▶ PROCESSING ─CONFIRMED/RECEIVED─▶ PAID ─REFUNDED/CHARGEBACK─▶ REFUNDED
       │                   │                              │
       └─────DELETED───────┴──▶ CANCELED                  └─PARTIALLY_REFUNDED─▶ PAID
"""

from __future__ import annotations

from appointments.models import PaymentStatus

P = PaymentStatus

WEBHOOK_TRANSITIONS: dict[str, dict[str, str]] = {
    "PAYMENT_CREATED": {P.PENDING: P.PROCESSING},
    # A confirmed card charge counts as paid for us: the money is guaranteed.
    "PAYMENT_CONFIRMED": {P.PENDING: P.PAID, P.PROCESSING: P.PAID, P.FAILED: P.PAID},
    "PAYMENT_RECEIVED": {P.PENDING: P.PAID, P.PROCESSING: P.PAID, P.FAILED: P.PAID},
    "PAYMENT_DELETED": {P.PENDING: P.CANCELED, P.PROCESSING: P.CANCELED},
    "PAYMENT_REFUNDED": {P.PAID: P.REFUNDED},
    "PAYMENT_PARTIALLY_REFUNDED": {P.PAID: P.PAID},
    "PAYMENT_CHARGEBACK_REQUESTED": {P.PAID: P.REFUNDED},
}

#: Asaas payment status → the event that means the same, used when syncing by polling.
ASAAS_STATUS_EVENTS: dict[str, str] = {
    "PENDING": "PAYMENT_CREATED",
    "CONFIRMED": "PAYMENT_CONFIRMED",
    "RECEIVED": "PAYMENT_RECEIVED",
    "RECEIVED_IN_CASH": "PAYMENT_RECEIVED",
    "REFUNDED": "PAYMENT_REFUNDED",
    "CHARGEBACK_REQUESTED": "PAYMENT_CHARGEBACK_REQUESTED",
}

#: Events whose transition is a refund (a REFUND PaymentTransaction is written).
REFUND_EVENTS = frozenset({"PAYMENT_REFUNDED", "PAYMENT_PARTIALLY_REFUNDED"})
CHARGEBACK_EVENTS = frozenset({"PAYMENT_CHARGEBACK_REQUESTED"})


def transition_target(event: str, current: str) -> str | None:
    """The status ``event`` moves ``current`` to, or ``None`` when it must be ignored."""
    return WEBHOOK_TRANSITIONS.get(event, {}).get(current)
