"""The one writer of payment state: ``charge_transition``.

Every change of a charge — our submission steps, cancellations, refunds, Asaas's events, syncs,
reconciliation, the admin — goes through ``charge_transition``, which checks the step against
the table (``transitions.py``), writes the ``Charge``, its ledger rows, and the payment fields of
the appointment (what the API shows), in the caller's transaction.

Lock order, everywhere: the appointment row, then its charge row (``charge_lock``). Both are
``FOR NO KEY UPDATE``, so bookings that only reference the rows (foreign keys) never wait on
them. Callers never hold these locks across an HTTP call to Asaas.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment, PaymentStatus
from core.exceptions import ConflictError
from payments.models import (
    Charge,
    ChargeStatus,
    PaymentTransaction,
    TransactionStatus,
    TransactionType,
    WebhookEvent,
)
from payments.services import transitions as t
from payments.services.asaas_service import AsaasExchange, AsaasPayment
from payments.services.ledger import cancellation_record, transaction_record
from payments.services.split import split_compute

logger = logging.getLogger("payments.state")

C = ChargeStatus
NOTIFIED_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.CANCELED, PaymentStatus.REFUNDED})
_FROM_APPOINTMENT = {value: key for key, value in t.APPOINTMENT_STATUS.items()} | {
    PaymentStatus.PENDING: C.PENDING
}
_LOCAL_TARGETS = {
    t.CLAIMED: C.SUBMITTING,
    t.SUBMIT_FAILED: C.PENDING,
    t.SUBMIT_GAVE_UP: C.FAILED,
    t.RESUBMIT_REQUESTED: C.PENDING,
    t.CANCEL_REQUESTED: C.CANCELED,
}


class IllegalTransition(Exception):
    """The step is not in the table from the charge's current status."""

    def __init__(self, trigger: str, source: str, target: str) -> None:
        super().__init__(f"{trigger}: {source} -> {target} is not in the table")
        self.trigger, self.source, self.target = trigger, source, target


class StaleSnapshot(Exception):
    """The charge changed after Asaas's payment was read: applying that read could move it
    back (a refund applied meanwhile would be undone). Read again."""


@dataclass(frozen=True)
class ChargeSnapshot:
    """Asaas's payment object (with its refunds) and the charge's ``version`` read *before*
    asking Asaas. Applying it is safe only while the charge is still at that version: every
    event applied before that read is in the snapshot, any applied after it bumped the version."""

    payment: AsaasPayment
    version: int


class UnknownAsaasStatus(Exception):
    """Asaas's payment object has a status we do not map (stored, never guessed)."""


@dataclass(frozen=True)
class TransitionResult:
    trigger: str
    source: str
    target: str

    @property
    def changed(self) -> bool:
        return self.source != self.target


def appointment_notify_on_commit(*, appointment: Appointment, status: str) -> None:
    """Tell the patient once the transaction commits (PAID, CANCELED and REFUNDED only)."""
    if status not in NOTIFIED_STATUSES:
        return
    from payments.tasks import appointment_notify_task  # tasks import services: import late

    transaction.on_commit(
        partial(appointment_notify_task.delay, appointment.pk, status), robust=True
    )


def _charge_from_appointment(appointment: Appointment) -> Charge | None:
    """The charge of a billed appointment that has none yet (rows from before charges)."""
    if appointment.status == PaymentStatus.NOT_BILLED:
        return None
    charge, _created = Charge.objects.get_or_create(
        appointment=appointment,
        defaults={
            "status": _FROM_APPOINTMENT.get(appointment.status, C.PENDING),
            "asaas_payment_id": appointment.asaas_payment_id or None,
            "invoice_url": appointment.asaas_invoice_url,
            "value": appointment.total_amount,
            "platform_amount": appointment.platform_amount,
            "professional_amount": appointment.professional_amount,
            "refunded_amount": appointment.refunded_amount,
            "attempts": appointment.payment_attempts,
            "last_error": appointment.last_payment_error,
            "paid_at": appointment.paid_at,
        },
    )
    return Charge.objects.select_for_update(no_key=True).get(pk=charge.pk)


def charge_lock(*, appointment_id: int) -> tuple[Appointment, Charge] | None:
    """Lock the appointment, then its charge (created for a billed appointment if missing).

    Must run inside a transaction. None when the appointment does not exist or is not billed.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("professional", "patient")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return None
    charge = Charge.objects.select_for_update(no_key=True).filter(appointment=appointment).first()
    if charge is None:
        charge = _charge_from_appointment(appointment)
    return None if charge is None else (appointment, charge)


def _target(
    charge: Charge, trigger: str, state: t.AsaasState | None, payment: AsaasPayment | None
) -> str:
    if trigger in _LOCAL_TARGETS:
        return _LOCAL_TARGETS[trigger]
    if state is None:
        raise UnknownAsaasStatus(payment.status if payment else None)
    return state.status


def _claim(appointment: Appointment, charge: Charge) -> None:
    assert appointment.total_amount is not None
    amounts = split_compute(
        total=appointment.total_amount,
        professional_percentage=appointment.professional.split_percentage,
    )
    charge.value = appointment.total_amount
    charge.platform_amount = amounts.platform
    charge.professional_amount = amounts.professional
    charge.attempts += 1
    charge.claimed_at = timezone.now()
    charge.next_attempt_at = None
    charge.last_error = ""


def _ensure_split_amounts(appointment: Appointment, charge: Charge) -> None:
    if charge.value is None:
        charge.value = appointment.total_amount
    if charge.platform_amount is None and charge.value is not None:
        amounts = split_compute(
            total=charge.value, professional_percentage=appointment.professional.split_percentage
        )
        charge.platform_amount = amounts.platform
        charge.professional_amount = amounts.professional


def _link(
    appointment: Appointment,
    charge: Charge,
    payment: AsaasPayment,
    exchange: AsaasExchange | None,
) -> None:
    """Make sure a charge Asaas created has its ids, split amounts and CHARGE and SPLIT ledger
    rows, whichever path (task, webhook, sync, reconciliation) saw it first."""
    _ensure_split_amounts(appointment, charge)
    if charge.asaas_payment_id is None:
        charge.asaas_payment_id = payment.id
        charge.claimed_at = None
        appointment.asaas_payment_id = payment.id
    charge.invoice_url = payment.invoice_url or charge.invoice_url
    present = set(
        PaymentTransaction.objects.filter(
            appointment=appointment,
            status=TransactionStatus.SUCCESS,
            transaction_type__in=[TransactionType.CHARGE, TransactionType.SPLIT],
        ).values_list("transaction_type", flat=True)
    )
    if TransactionType.CHARGE not in present:
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.CHARGE,
            succeeded=True,
            amount=charge.value,
            asaas_payment_id=payment.id,
            exchange=exchange,
        )
    if TransactionType.SPLIT not in present:
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.SPLIT,
            succeeded=True,
            amount=charge.professional_amount,
            asaas_payment_id=payment.id,
            response_payload={
                "split": [asdict(split) for split in payment.splits] if payment.splits else None
            },
        )


def _apply_asaas(
    appointment: Appointment,
    charge: Charge,
    trigger: str,
    payment: AsaasPayment,
    state: t.AsaasState,
    webhook_event: WebhookEvent | None,
) -> None:
    before = t.charge_progress(charge)
    charge.asaas_status = state.asaas_status
    charge.chargeback_status = state.chargeback_status
    if trigger == t.SYNCED or t.split_rank(state.split_status) > t.split_rank(charge.split_status):
        charge.split_status = state.split_status or charge.split_status
    if payment.net_value is not None:
        charge.net_value = payment.net_value
    if state.refunded is not None:
        refunded = (
            state.refunded if trigger == t.SYNCED else max(state.refunded, charge.refunded_amount)
        )
        added = refunded - charge.refunded_amount
        charge.refunded_amount = refunded
        if added > 0:
            lost = state.chargeback_status in t.CHARGEBACK_LOST
            transaction_record(
                appointment=appointment,
                transaction_type=TransactionType.CHARGEBACK if lost else TransactionType.REFUND,
                succeeded=True,
                amount=added,
                asaas_payment_id=payment.id,
                webhook_event=webhook_event,
            )
    if trigger == t.SYNCED and t.charge_progress_of(state, charge.refunded_amount) < before:
        # Asaas's history went backwards (chargeback won, restored, cash receipt undone):
        # older snapshots could now look newer, so this charge is always re-read from now on.
        charge.reread_only = True
    charge.last_synced_at = timezone.now() if trigger == t.SYNCED else charge.last_synced_at


def _observable(charge: Charge) -> tuple[object, ...]:
    """What a ledger row about this step would report a change of."""
    return (
        charge.status,
        charge.asaas_status,
        charge.refunded_amount,
        charge.chargeback_status,
        charge.split_status,
        charge.asaas_payment_id,
    )


def _project(appointment: Appointment, charge: Charge) -> None:
    """Write the charge's state into the appointment's payment fields (what the API shows)."""
    fields: dict[str, Any] = {
        "status": t.APPOINTMENT_STATUS[charge.status],
        "platform_amount": charge.platform_amount,
        "professional_amount": charge.professional_amount,
        "refunded_amount": charge.refunded_amount,
        "asaas_payment_id": charge.asaas_payment_id,
        "asaas_invoice_url": charge.invoice_url,
        "paid_at": charge.paid_at,
        "payment_attempts": charge.attempts,
        "last_payment_error": charge.last_error[:2000],
        "updated_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            # update(), not save(): no post_save (the charge task must not re-enqueue itself).
            Appointment.objects.filter(pk=appointment.pk).update(**fields)
    except IntegrityError as error:
        # A restored charge whose slot was booked again meanwhile.
        raise ConflictError(
            _("O horário desta consulta já foi ocupado por outra; revise a cobrança.")
        ) from error
    for name, value in fields.items():
        setattr(appointment, name, value)


def charge_transition(
    *,
    appointment: Appointment,
    charge: Charge,
    trigger: str,
    payment: AsaasPayment | None = None,
    refunds_known: bool = False,
    error: Exception | None = None,
    retry_at: datetime | None = None,
    exchange: AsaasExchange | None = None,
    webhook_event: WebhookEvent | None = None,
    ledger_type: str | None = None,
    read_version: int | None = None,
) -> TransitionResult:
    """Apply one step to a charge whose appointment and charge rows the caller has locked.

    ``payment`` is Asaas's payment object for the steps that carry one (SUBMITTED, SYNCED,
    REFUND_REQUESTED, Asaas events): the status reached is what it says. Raises
    ``IllegalTransition`` when the table does not allow the step (nothing is written).
    ``SYNCED`` may move a charge backwards, so it needs ``read_version`` (the charge's version
    when Asaas was read) and raises ``StaleSnapshot`` when the charge moved on since.
    """
    if trigger == t.SYNCED:
        if read_version is None:
            raise ValueError("SYNCED needs the charge version the snapshot was read at")
        if read_version != charge.version:
            raise StaleSnapshot(f"read at version {read_version}, charge at {charge.version}")
    state = t.asaas_state(payment, refunds_known=refunds_known) if payment is not None else None
    source = charge.status
    before = _observable(charge)
    target = _target(charge, trigger, state, payment)
    if not t.transition_allowed(trigger, source, target):
        raise IllegalTransition(trigger, source, target)
    if trigger == t.CLAIMED:
        _claim(appointment, charge)
    elif trigger in {t.SUBMIT_FAILED, t.SUBMIT_GAVE_UP}:
        charge.claimed_at = None
        charge.next_attempt_at = retry_at
        charge.last_error = str(error or "")[:2000]
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.CHARGE,
            succeeded=False,
            amount=charge.value,
            error=error,
        )
    elif trigger == t.RESUBMIT_REQUESTED:
        charge.attempts = 0
        charge.next_attempt_at = None
        charge.last_error = ""
    if payment is not None and state is not None:
        _link(appointment, charge, payment, exchange if trigger == t.SUBMITTED else None)
        _apply_asaas(appointment, charge, trigger, payment, state, webhook_event)
        charge.last_error = ""
    if target == C.PAID and charge.paid_at is None:
        charge.paid_at = timezone.now()
    if trigger == t.CANCEL_REQUESTED:
        cancellation_record(appointment=appointment, charge=charge, exchange=exchange)
    charge.status = target
    charge.version += 1
    charge.save()
    previous_status = appointment.status
    _project(appointment, charge)
    if ledger_type is not None and _observable(charge) != before:
        transaction_record(
            appointment=appointment,
            transaction_type=ledger_type,
            succeeded=True,
            amount=payment.value if payment is not None else None,
            asaas_payment_id=charge.asaas_payment_id or "",
            webhook_event=webhook_event,
            response_payload={"event": trigger, "from": source, "to": target},
        )
    if appointment.status != previous_status:
        appointment_notify_on_commit(appointment=appointment, status=appointment.status)
    logger.info(
        "charge transition appointment=%s trigger=%s %s->%s",
        appointment.pk,
        trigger,
        source,
        target,
    )
    return TransitionResult(trigger=trigger, source=source, target=target)


def charge_apply_asaas_state(
    *,
    appointment: Appointment,
    charge: Charge,
    snapshot: ChargeSnapshot,
    webhook_event: WebhookEvent | None = None,
    ledger_type: str = TransactionType.SYNC,
) -> TransitionResult:
    """``SYNCED``: Asaas's current payment object (with its refunds), read by us, applied.
    Raises ``StaleSnapshot`` when the charge changed after the read (read again)."""
    return charge_transition(
        appointment=appointment,
        charge=charge,
        trigger=t.SYNCED,
        payment=snapshot.payment,
        refunds_known=True,
        webhook_event=webhook_event,
        ledger_type=ledger_type,
        read_version=snapshot.version,
    )
