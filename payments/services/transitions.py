"""The state machine of a charge: one table for our own steps and Asaas's events.

``TRANSITIONS[trigger][current]`` is the set of statuses ``trigger`` may move a charge to from
``current``. For Asaas's events (and our steps that carry Asaas's answer) the status reached is
not chosen by us: it is what Asaas's payment object says (``asaas_state``), and the step is
legal only when that status is in the set. ``SYNCED`` (Asaas's current state, read by us) is
legal from every status: it is how the charge converges.

An Asaas event is applied directly only when it is a *next step*: legal in the table and newer
than what we hold (``progress_key``). Anything else — out of order, a duplicate with other data,
an event that can move a payment backwards, an unknown event — makes the processor re-read the
payment from Asaas and apply ``SYNCED``. So the state reached does not depend on the order in
which events arrive: either it is the newest snapshot seen, or it is Asaas's current state::

    PENDING ─CLAIMED─▶ SUBMITTING ─SUBMITTED/CREATED─▶ AWAITING_PAYMENT ─CONFIRMED/RECEIVED─▶ PAID
       ▲  ▲               │  └─SUBMIT_GAVE_UP─▶ FAILED ─RESUBMIT_REQUESTED─┘(to PENDING)   │
       │  └SUBMIT_FAILED──┘                                                    PARTIALLY_REFUNDED
    (any unpaid) ─DELETED/CANCEL_REQUESTED─▶ CANCELED          PAID ─REFUNDED─▶ REFUNDED
                                             PAID ─CHARGEBACK_*─▶ CHARGEBACK ─(lost)─▶ REFUNDED
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from appointments.models import PaymentStatus
from payments.models import Charge, ChargeStatus
from payments.services.asaas_service import AsaasPayment

C = ChargeStatus

# --- our own steps ---------------------------------------------------------------------------
CLAIMED = "CLAIMED"  # a worker takes the submission (short transaction, no HTTP)
SUBMITTED = "SUBMITTED"  # Asaas answered with the payment it created (or we adopted)
SUBMIT_FAILED = "SUBMIT_FAILED"  # retryable failure: back to PENDING, retried later
SUBMIT_GAVE_UP = "SUBMIT_GAVE_UP"  # permanent failure, or attempts exhausted
RESUBMIT_REQUESTED = "RESUBMIT_REQUESTED"  # an operator asks for a failed charge again
CANCEL_REQUESTED = "CANCEL_REQUESTED"  # we cancel it (and delete it at Asaas if it exists)
REFUND_REQUESTED = "REFUND_REQUESTED"  # Asaas's answer to a refund we asked for
SYNCED = "SYNCED"  # Asaas's current state, read by us (refresh, sync, reconcile, re-read)

UNPAID = frozenset({C.PENDING, C.SUBMITTING, C.FAILED, C.AWAITING_PAYMENT})
NOT_LINKED = frozenset({C.PENDING, C.SUBMITTING, C.FAILED})
ALL = frozenset(ChargeStatus)

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    # Ours.
    CLAIMED: {C.PENDING: frozenset({C.SUBMITTING}), C.SUBMITTING: frozenset({C.SUBMITTING})},
    SUBMITTED: {
        C.SUBMITTING: frozenset({C.AWAITING_PAYMENT, C.PAID}),
        C.PENDING: frozenset({C.AWAITING_PAYMENT, C.PAID}),
    },
    SUBMIT_FAILED: {C.SUBMITTING: frozenset({C.PENDING})},
    SUBMIT_GAVE_UP: {C.SUBMITTING: frozenset({C.FAILED})},
    RESUBMIT_REQUESTED: {C.FAILED: frozenset({C.PENDING})},
    CANCEL_REQUESTED: {
        C.PENDING: frozenset({C.CANCELED}),
        C.FAILED: frozenset({C.CANCELED}),
        C.AWAITING_PAYMENT: frozenset({C.CANCELED}),
    },
    REFUND_REQUESTED: {C.PAID: frozenset({C.PAID, C.REFUNDED})},
    SYNCED: {status: ALL - {C.PENDING, C.SUBMITTING, C.FAILED} for status in ChargeStatus},
    # Asaas's events (only those that can be a direct next step; all others are re-read).
    "PAYMENT_CREATED": {s: frozenset({C.AWAITING_PAYMENT}) for s in NOT_LINKED},
    "PAYMENT_AWAITING_RISK_ANALYSIS": {s: frozenset({C.AWAITING_PAYMENT}) for s in UNPAID},
    "PAYMENT_APPROVED_BY_RISK_ANALYSIS": {s: frozenset({C.AWAITING_PAYMENT}) for s in UNPAID},
    "PAYMENT_AUTHORIZED": {s: frozenset({C.AWAITING_PAYMENT}) for s in UNPAID},
    "PAYMENT_OVERDUE": {s: frozenset({C.AWAITING_PAYMENT}) for s in UNPAID},
    # A confirmed card charge counts as paid for us: the money is guaranteed.
    "PAYMENT_CONFIRMED": {s: frozenset({C.PAID}) for s in UNPAID},
    "PAYMENT_RECEIVED": {**{s: frozenset({C.PAID}) for s in UNPAID}, C.PAID: frozenset({C.PAID})},
    "PAYMENT_DELETED": {s: frozenset({C.CANCELED}) for s in UNPAID},
    "PAYMENT_PARTIALLY_REFUNDED": {C.PAID: frozenset({C.PAID})},
    "PAYMENT_REFUND_IN_PROGRESS": {C.PAID: frozenset({C.PAID})},
    "PAYMENT_REFUNDED": {C.PAID: frozenset({C.REFUNDED}), C.CHARGEBACK: frozenset({C.REFUNDED})},
    "PAYMENT_CHARGEBACK_REQUESTED": {C.PAID: frozenset({C.CHARGEBACK})},
    "PAYMENT_CHARGEBACK_DISPUTE": {C.CHARGEBACK: frozenset({C.CHARGEBACK})},
    "PAYMENT_AWAITING_CHARGEBACK_REVERSAL": {C.CHARGEBACK: frozenset({C.CHARGEBACK})},
}

#: Events that never change payment state (stored and marked processed, nothing else).
INFORMATIONAL_EVENTS = frozenset({"PAYMENT_BANK_SLIP_VIEWED", "PAYMENT_CHECKOUT_VIEWED"})

#: Charge status → the payment status the API shows on the appointment.
APPOINTMENT_STATUS: dict[str, str] = {
    C.PENDING: PaymentStatus.PENDING,
    C.SUBMITTING: PaymentStatus.PENDING,
    C.AWAITING_PAYMENT: PaymentStatus.PROCESSING,
    C.PAID: PaymentStatus.PAID,
    C.CHARGEBACK: PaymentStatus.CHARGEBACK,
    C.REFUNDED: PaymentStatus.REFUNDED,
    C.CANCELED: PaymentStatus.CANCELED,
    C.FAILED: PaymentStatus.FAILED,
}

#: Asaas payment status → our charge status.
ASAAS_STATUS: dict[str, str] = {
    "PENDING": C.AWAITING_PAYMENT,
    "OVERDUE": C.AWAITING_PAYMENT,
    "AWAITING_RISK_ANALYSIS": C.AWAITING_PAYMENT,
    "AUTHORIZED": C.AWAITING_PAYMENT,
    "DUNNING_REQUESTED": C.AWAITING_PAYMENT,
    "CONFIRMED": C.PAID,
    "RECEIVED": C.PAID,
    "RECEIVED_IN_CASH": C.PAID,
    "DUNNING_RECEIVED": C.PAID,
    "REFUND_REQUESTED": C.PAID,
    "REFUND_IN_PROGRESS": C.PAID,
    "CHARGEBACK_REQUESTED": C.CHARGEBACK,
    "CHARGEBACK_DISPUTE": C.CHARGEBACK,
    "AWAITING_CHARGEBACK_REVERSAL": C.CHARGEBACK,
    "REFUNDED": C.REFUNDED,
}

#: Order of progress, for telling a newer snapshot from an older one.
_RANK: dict[str, int] = {
    C.PENDING: 0,
    C.FAILED: 0,
    C.SUBMITTING: 1,
    C.AWAITING_PAYMENT: 2,
    C.PAID: 3,
    C.CHARGEBACK: 4,
    C.REFUNDED: 5,
    C.CANCELED: 5,
}
_ASAAS_RANK = {
    "OVERDUE": 1,
    "DUNNING_REQUESTED": 2,
    "RECEIVED": 1,
    "RECEIVED_IN_CASH": 1,
    "DUNNING_RECEIVED": 1,
    "REFUND_REQUESTED": 2,
    "REFUND_IN_PROGRESS": 3,
    "CHARGEBACK_DISPUTE": 1,
    "AWAITING_CHARGEBACK_REVERSAL": 2,
}
#: Asaas's chargeback object statuses; a finished chargeback never opens again.
_CHARGEBACK_RANK = {
    "": 0,
    "REQUESTED": 1,
    "IN_DISPUTE": 2,
    "ACCEPTED": 3,
    "AWAITING_REVERSAL": 3,
    "REVERSED": 4,  # won: the payment is ours again
    "DISPUTE_LOST": 4,  # lost after a dispute (Asaas sends no event: the sync finds it)
    "DONE": 4,  # accepted without a dispute
}
CHARGEBACK_LOST = frozenset({"DONE", "DISPUTE_LOST"})
_CHARGEBACK_FROM_STATUS = {
    "CHARGEBACK_REQUESTED": "REQUESTED",
    "CHARGEBACK_DISPUTE": "IN_DISPUTE",
    "AWAITING_CHARGEBACK_REVERSAL": "AWAITING_REVERSAL",
}
REFUND_DONE = frozenset({"DONE", ""})


@dataclass(frozen=True)
class AsaasState:
    """What Asaas's payment object says, in our terms."""

    status: str
    asaas_status: str
    refunded: Decimal | None  # None: the object does not say (no refunds list)
    chargeback_status: str
    split_status: str


def _chargeback_status(payment: AsaasPayment) -> str:
    if payment.chargeback_status:
        return payment.chargeback_status
    return _CHARGEBACK_FROM_STATUS.get(payment.status or "", "")


def _refunded(payment: AsaasPayment, status: str, *, refunds_known: bool) -> Decimal | None:
    value = payment.value or Decimal("0.00")
    if status == C.REFUNDED:
        return value
    done = [
        r.value for r in payment.refunds if r.value is not None and (r.status or "") in REFUND_DONE
    ]
    if done:
        return min(sum(done, Decimal("0.00")), value)
    return Decimal("0.00") if refunds_known or status != C.PAID else None


def asaas_state(payment: AsaasPayment, *, refunds_known: bool = False) -> AsaasState | None:
    """Our reading of Asaas's payment object, or None for a status we do not know."""
    chargeback = _chargeback_status(payment)
    if payment.deleted:
        status: str | None = C.CANCELED
    elif chargeback in CHARGEBACK_LOST:
        status = C.REFUNDED
    else:
        status = ASAAS_STATUS.get(payment.status or "")
    if status is None:
        return None
    own_split = next((split.status for split in payment.splits if split.status), "")
    return AsaasState(
        status=status,
        asaas_status=payment.status or "",
        refunded=_refunded(payment, status, refunds_known=refunds_known),
        chargeback_status=chargeback,
        split_status=own_split or "",
    )


def progress_key(
    *, chargeback_status: str, status: str, refunded: Decimal, asaas_status: str
) -> tuple[int, int, Decimal, int]:
    return (
        _CHARGEBACK_RANK.get(chargeback_status, 0),
        _RANK[status],
        refunded,
        _ASAAS_RANK.get(asaas_status, 0),
    )


_SPLIT_RANK = {"": 0, "PENDING": 1, "AWAITING_CREDIT": 2, "DONE": 3, "CANCELLED": 4, "REFUNDED": 4}


def split_rank(status: str) -> int:
    """Order of the professional's split status (settled or undone splits do not go back)."""
    return _SPLIT_RANK.get(status, 0)


def transition_allowed(trigger: str, current: str, target: str) -> bool:
    return target in TRANSITIONS.get(trigger, {}).get(current, frozenset())


def charge_progress(charge: Charge) -> tuple[int, int, Decimal, int]:
    return progress_key(
        chargeback_status=charge.chargeback_status,
        status=charge.status,
        refunded=charge.refunded_amount,
        asaas_status=charge.asaas_status,
    )


def charge_progress_of(state: AsaasState, refunded: Decimal) -> tuple[int, int, Decimal, int]:
    return progress_key(
        chargeback_status=state.chargeback_status,
        status=state.status,
        refunded=state.refunded if state.refunded is not None else refunded,
        asaas_status=state.asaas_status,
    )


#: Verdicts on an Asaas event for a bound charge.
APPLY = "APPLY"
ALREADY_APPLIED = "ALREADY_APPLIED"
REREAD = "REREAD"
_NEEDS_REFUNDS = frozenset({"PAYMENT_PARTIALLY_REFUNDED"})


def charge_event_verdict(*, charge: Charge, event: str, payment: AsaasPayment) -> str:
    """APPLY when the event is a legal next step that is newer than what we hold,
    ALREADY_APPLIED when it says exactly what we hold, REREAD otherwise."""
    state = asaas_state(payment)
    if state is None or (event in _NEEDS_REFUNDS and state.refunded is None):
        return REREAD
    current = charge_progress(charge)
    new = charge_progress_of(state, charge.refunded_amount)
    linked_here = charge.asaas_payment_id == payment.id
    same_split = split_rank(state.split_status) <= split_rank(charge.split_status)
    if linked_here and state.status == charge.status and new == current and same_split:
        return ALREADY_APPLIED
    if charge.reread_only:
        return REREAD
    if transition_allowed(event, charge.status, state.status) and new > current:
        return APPLY
    return REREAD
