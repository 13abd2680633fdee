"""What staff and professionals do to a charge: cancel, refund, resubmit, sync with Asaas.

Each one checks under the locks (short), talks to Asaas outside any transaction, then records
Asaas's answer through ``charge_transition`` under the locks again (short).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from appointments.models import Appointment
from core.exceptions import BusinessRuleError, ConflictError, NotFoundError
from payments.models import Charge, ChargeStatus, TransactionType
from payments.services import transitions as t
from payments.services.asaas_service import AsaasError, AsaasNotFoundError, AsaasService
from payments.services.charges import (
    appointment_reference_for,
    asaas_client,
    charge_snapshot_apply,
)
from payments.services.ledger import cancellation_record, transaction_record
from payments.services.state import (
    ChargeSnapshot,
    IllegalTransition,
    StaleSnapshot,
    charge_apply_asaas_state,
    charge_lock,
    charge_transition,
)

logger = logging.getLogger("payments.charges")
C = ChargeStatus


def _locked(appointment_id: int) -> tuple[Appointment, Charge]:
    locked = charge_lock(appointment_id=appointment_id)
    if locked is None:
        if not Appointment.objects.filter(pk=appointment_id).exists():
            raise NotFoundError(_("Consulta não encontrada."))
        raise BusinessRuleError(_("Esta consulta não tem cobrança."))
    return locked


def _record_failed_call(appointment_id: int, kind: str, error: AsaasError, amount: object) -> None:
    with transaction.atomic():
        appointment, _charge = _locked(appointment_id)
        transaction_record(
            appointment=appointment,
            transaction_type=kind,
            succeeded=False,
            amount=amount if isinstance(amount, Decimal) else None,
            error=error,
        )


def charge_sync(*, appointment_id: int, asaas: AsaasService | None = None) -> Appointment | None:
    """Re-read the charge from Asaas and apply Asaas's current state (``SYNCED``)."""
    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment_id)
        if locked is None:
            return None
        appointment, charge = locked
        payment_id = charge.asaas_payment_id
    if not payment_id:
        return appointment

    def apply(snapshot: ChargeSnapshot) -> Appointment:
        with transaction.atomic():
            appointment, charge = _locked(appointment_id)
            if charge.asaas_payment_id == snapshot.payment.id:
                charge_apply_asaas_state(appointment=appointment, charge=charge, snapshot=snapshot)
            return appointment

    try:
        return charge_snapshot_apply(
            appointment_id=appointment_id,
            payment_id=payment_id,
            asaas=asaas or asaas_client(),
            apply=apply,
        )
    except StaleSnapshot:
        # Steps keep arriving (webhooks): they converge it; answer with what we hold now.
        return Appointment.objects.filter(pk=appointment_id).first()


def charge_cancel(*, appointment_id: int, asaas: AsaasService | None = None) -> str:
    """Cancel a charge that is not paid (deleting it at Asaas when it exists there)."""
    with transaction.atomic():
        appointment, charge = _locked(appointment_id)
        if charge.status in {C.PAID, C.CHARGEBACK}:
            raise BusinessRuleError(
                _("O pagamento já foi recebido: use o reembolso em vez do cancelamento.")
            )
        if charge.status == C.SUBMITTING:
            raise ConflictError(
                _("A cobrança está sendo criada no Asaas; tente novamente em alguns segundos.")
            )
        if charge.status not in {C.PENDING, C.FAILED, C.AWAITING_PAYMENT}:
            raise BusinessRuleError(
                _("Não há cobrança em aberto para cancelar (status: %(status)s).")
                % {"status": appointment.get_status_display()}
            )
        payment_id = charge.asaas_payment_id
        maybe_at_asaas = charge.attempts > 0
        if not payment_id:
            # Never linked: cancel here first, so no worker claims it while we look at Asaas.
            charge_transition(appointment=appointment, charge=charge, trigger=t.CANCEL_REQUESTED)
    client = asaas or asaas_client()
    if not payment_id:
        if maybe_at_asaas:
            _delete_orphan(appointment_id, client)
        return appointment.status
    deleted_here = True
    try:
        client.payment_delete(payment_id)
    except AsaasNotFoundError:
        deleted_here = False  # already gone at Asaas: the re-read below says so
    except AsaasError as error:
        _record_failed_call(appointment_id, TransactionType.CANCELLATION, error, None)
        raise BusinessRuleError(
            _("O Asaas recusou o cancelamento: %(error)s") % {"error": error}
        ) from error

    def apply(snapshot: ChargeSnapshot) -> str:
        with transaction.atomic():
            appointment, charge = _locked(appointment_id)
            if snapshot.payment.deleted:
                try:
                    charge_transition(
                        appointment=appointment,
                        charge=charge,
                        trigger=t.CANCEL_REQUESTED,
                        payment=snapshot.payment,
                        refunds_known=True,
                    )
                    return appointment.status
                except IllegalTransition:
                    # Moved on meanwhile: Asaas's PAYMENT_DELETED webhook cancelled it first.
                    if deleted_here and charge.status == C.CANCELED:
                        cancellation_record(appointment=appointment, charge=charge)
                        return appointment.status
            # Not deleted (paid meanwhile), or no longer cancellable here: Asaas's truth.
            charge_apply_asaas_state(appointment=appointment, charge=charge, snapshot=snapshot)
            return appointment.status

    try:
        return charge_snapshot_apply(
            appointment_id=appointment_id, payment_id=payment_id, asaas=client, apply=apply
        )
    except StaleSnapshot:
        # Deleted at Asaas; the steps still arriving (its webhook) move the status. The
        # deletion was ours: the ledger says so now.
        with transaction.atomic():
            appointment, charge = _locked(appointment_id)
            if deleted_here:
                cancellation_record(appointment=appointment, charge=charge)
            return appointment.status


def _delete_orphan(appointment_id: int, client: AsaasService) -> None:
    """A cancelled charge whose creation may have reached Asaas: delete it there too."""
    reference = appointment_reference_for(appointment_id=appointment_id)
    try:
        payment = client.payment_find_by_external_reference(reference)
        if payment is not None:
            client.payment_delete(payment.id)
            logger.info("orphan charge deleted appointment=%s", appointment_id)
    except AsaasError as error:
        # reconcile_payments reports what is left at Asaas.
        logger.warning(
            "orphan check failed appointment=%s: %s", appointment_id, type(error).__name__
        )


def charge_refund(
    *,
    appointment_id: int,
    amount: Decimal | None = None,
    description: str = "",
    asaas: AsaasService | None = None,
) -> Appointment:
    """Refund all (``amount`` None) or part of a paid charge."""
    with transaction.atomic():
        appointment, charge = _locked(appointment_id)
        if charge.status != C.PAID or not charge.asaas_payment_id:
            raise BusinessRuleError(_("Somente consultas pagas podem ser reembolsadas."))
        total = charge.value or appointment.total_amount
        assert total is not None
        refundable = total - charge.refunded_amount
        value = refundable if amount is None else amount
        if value <= 0 or value > refundable:
            raise BusinessRuleError(
                _("O valor do reembolso deve estar entre 0,01 e %(max)s.") % {"max": refundable},
                field="amount",
            )
        payment_id = charge.asaas_payment_id
        full = value == total
    client = asaas or asaas_client()
    try:
        # No value = full refund, only while nothing was refunded before.
        client.payment_refund(
            payment_id, value=None if full else value, description=description or None
        )
    except AsaasError as error:
        _record_failed_call(appointment_id, TransactionType.REFUND, error, value)
        raise BusinessRuleError(
            _("O Asaas recusou o reembolso: %(error)s") % {"error": error}
        ) from error

    def apply(snapshot: ChargeSnapshot) -> Appointment:
        with transaction.atomic():
            appointment, charge = _locked(appointment_id)
            state = t.asaas_state(snapshot.payment, refunds_known=True)
            if state is None or not t.transition_allowed(
                t.REFUND_REQUESTED, charge.status, state.status
            ):
                # A webhook got there first: apply Asaas's truth.
                charge_apply_asaas_state(appointment=appointment, charge=charge, snapshot=snapshot)
                return appointment
            charge_transition(
                appointment=appointment,
                charge=charge,
                trigger=t.REFUND_REQUESTED,
                payment=snapshot.payment,
                refunds_known=True,
            )
            return appointment

    try:
        return charge_snapshot_apply(
            appointment_id=appointment_id, payment_id=payment_id, asaas=client, apply=apply
        )
    except StaleSnapshot:
        # Refunded at Asaas; the steps still arriving (its webhooks) record it here.
        return Appointment.objects.get(pk=appointment_id)


def charge_resubmit(*, appointment_id: int) -> str:
    """Send a FAILED charge to Asaas again (an operator's decision)."""
    from payments.tasks import create_asaas_charge_task  # tasks import services

    with transaction.atomic():
        appointment, charge = _locked(appointment_id)
        if charge.status != C.FAILED:
            raise BusinessRuleError(_("Somente cobranças que falharam podem ser reenviadas."))
        charge_transition(appointment=appointment, charge=charge, trigger=t.RESUBMIT_REQUESTED)
        transaction.on_commit(partial(create_asaas_charge_task.delay, appointment.pk), robust=True)
        return appointment.status
