"""Charge use cases: create (idempotent), cancel, refund, sync.

Every function locks the appointment row for the whole exchange with Asaas, so two workers
(or a worker and an operator) never act on one charge at once. Creation looks the charge up
by ``externalReference`` before POSTing: a retry after a timeout adopts the charge Asaas
already made instead of making a second one.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment, Patient, PaymentStatus
from core.exceptions import BusinessRuleError
from payments.models import TransactionType
from payments.services.asaas_service import (
    AsaasError,
    AsaasNotFoundError,
    AsaasPayment,
    AsaasService,
    SplitRule,
)
from payments.services.customers import patient_customer_ensure
from payments.services.ledger import transaction_record
from payments.services.split import split_compute
from payments.services.state import appointment_notify_on_commit, appointment_transition_apply
from payments.services.transitions import ASAAS_STATUS_EVENTS

logger = logging.getLogger("payments.charges")


#: ``externalReference`` of an appointment's charge: how retries and webhooks find it.
APPOINTMENT_REFERENCE_PREFIX = "appointment-"


def appointment_external_reference(appointment: Appointment) -> str:
    return f"{APPOINTMENT_REFERENCE_PREFIX}{appointment.pk}"


def appointment_id_from_reference(reference: str) -> int | None:
    """The appointment id in one of our references, or None for anything else."""
    suffix = reference.removeprefix(APPOINTMENT_REFERENCE_PREFIX)
    if suffix == reference or not suffix.isdigit():
        return None
    return int(suffix)


def _locked(appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("professional", "patient")
        .filter(pk=appointment_id)
        .first()
    )


@dataclass(frozen=True)
class ChargeOutcome:
    status: str
    retry: AsaasError | None = None


def _charge_payload_description(appointment: Appointment) -> str:
    # Health data stays out of Asaas: no profession, no reason, just our reference.
    return _("Consulta %(ref)s") % {"ref": appointment_external_reference(appointment)}


def _create_or_adopt(*, appointment: Appointment, asaas: AsaasService) -> AsaasPayment:
    assert appointment.patient_id is not None
    patient = Patient.objects.select_for_update().get(pk=appointment.patient_id)
    customer_id = patient_customer_ensure(patient=patient, asaas=asaas)
    reference = appointment_external_reference(appointment)
    existing = asaas.payment_find_by_external_reference(reference)
    if existing is not None:
        logger.info("charge adopted appointment=%s payment=%s", appointment.pk, existing.id)
        return existing
    assert appointment.total_amount is not None
    assert appointment.due_date is not None
    return asaas.payment_create(
        customer=customer_id,
        billing_type=appointment.payment_method,
        value=appointment.total_amount,
        due_date=appointment.due_date,
        external_reference=reference,
        description=_charge_payload_description(appointment),
        # The professional's share is a fixed value: Asaas computes splits on the net value
        # (after its fee), so the platform's share absorbs the fee.
        split=[
            SplitRule(
                wallet_id=appointment.professional.asaas_wallet_id,
                fixed_value=appointment.professional_amount,
            )
        ]
        if appointment.professional_amount
        else [],
    )


def appointment_charge_create(
    *, appointment_id: int, asaas: AsaasService | None = None
) -> ChargeOutcome:
    """Create the appointment's charge at Asaas once. Safe to run any number of times.

    Returns the resulting status; ``retry`` carries a retryable error the caller (the task)
    should retry on. Non-retryable errors, and too many attempts, mark the charge FAILED.
    """
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if appointment is None:
            return ChargeOutcome(status="MISSING")
        if appointment.status != PaymentStatus.PENDING or appointment.asaas_payment_id:
            return ChargeOutcome(status=appointment.status)
        client = asaas or AsaasService.from_settings()
        appointment.payment_attempts += 1
        assert appointment.total_amount is not None
        amounts = split_compute(
            total=appointment.total_amount,
            professional_percentage=appointment.professional.split_percentage,
        )
        appointment.platform_amount = amounts.platform
        appointment.professional_amount = amounts.professional
        try:
            payment = _create_or_adopt(appointment=appointment, asaas=client)
        except AsaasError as error:
            give_up = not error.retryable or (
                appointment.payment_attempts >= settings.PAYMENT_MAX_ATTEMPTS
            )
            appointment.last_payment_error = str(error)[:2000]
            if give_up:
                appointment.status = PaymentStatus.FAILED
            appointment.save()
            transaction_record(
                appointment=appointment,
                transaction_type=TransactionType.CHARGE,
                succeeded=False,
                amount=appointment.total_amount,
                error=error,
            )
            logger.warning(
                "charge failed appointment=%s attempt=%s retryable=%s",
                appointment.pk,
                appointment.payment_attempts,
                error.retryable,
            )
            return ChargeOutcome(status=appointment.status, retry=None if give_up else error)
        appointment.asaas_payment_id = payment.id
        appointment.asaas_invoice_url = payment.invoice_url or ""
        appointment.status = PaymentStatus.PROCESSING
        appointment.last_payment_error = ""
        appointment.save()
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.CHARGE,
            succeeded=True,
            amount=appointment.total_amount,
            asaas_payment_id=payment.id,
            exchange=payment.exchange,
        )
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.SPLIT,
            succeeded=True,
            amount=appointment.professional_amount,
            asaas_payment_id=payment.id,
            response_payload={
                "split": [asdict(split) for split in payment.splits] if payment.splits else None
            },
        )
        if payment.status not in {"PENDING", "OVERDUE"}:
            # Adopted a charge that moved on while we were away (e.g. already paid).
            event = ASAAS_STATUS_EVENTS.get(payment.status or "")
            if event:
                appointment_transition_apply(
                    appointment=appointment,
                    event=event,
                    payment=payment.raw,
                    transaction_type=TransactionType.SYNC,
                )
        return ChargeOutcome(status=appointment.status)


def appointment_payment_cancel(*, appointment_id: int, asaas: AsaasService | None = None) -> str:
    """Cancel a charge that is not paid yet (deleting it at Asaas when it exists)."""
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if appointment is None:
            raise BusinessRuleError(_("Consulta não encontrada."))
        if appointment.status == PaymentStatus.PAID:
            raise BusinessRuleError(
                _("O pagamento já foi recebido: use o reembolso em vez do cancelamento.")
            )
        if appointment.status not in {PaymentStatus.PENDING, PaymentStatus.PROCESSING}:
            raise BusinessRuleError(
                _("Não há cobrança em aberto para cancelar (status: %(status)s).")
                % {"status": appointment.get_status_display()}
            )
        exchange = None
        if appointment.asaas_payment_id:
            client = asaas or AsaasService.from_settings()
            try:
                exchange = client.payment_delete(appointment.asaas_payment_id).exchange
            except AsaasNotFoundError:
                pass  # already gone at Asaas: cancelling locally is the truth
            except AsaasError as error:
                transaction_record(
                    appointment=appointment,
                    transaction_type=TransactionType.CANCELLATION,
                    succeeded=False,
                    error=error,
                )
                raise BusinessRuleError(
                    _("O Asaas recusou o cancelamento: %(error)s") % {"error": error}
                ) from error
        appointment.status = PaymentStatus.CANCELED
        appointment.save()
        appointment_notify_on_commit(appointment=appointment, status=appointment.status)
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.CANCELLATION,
            succeeded=True,
            amount=appointment.total_amount,
            exchange=exchange,
        )
        return appointment.status


def appointment_payment_refund(
    *,
    appointment_id: int,
    amount: Decimal | None = None,
    description: str = "",
    asaas: AsaasService | None = None,
) -> Appointment:
    """Refund all (``amount`` None) or part of a paid charge."""
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if appointment is None:
            raise BusinessRuleError(_("Consulta não encontrada."))
        if appointment.status != PaymentStatus.PAID or not appointment.asaas_payment_id:
            raise BusinessRuleError(_("Somente consultas pagas podem ser reembolsadas."))
        assert appointment.total_amount is not None
        refundable = appointment.total_amount - appointment.refunded_amount
        value = refundable if amount is None else amount
        if value <= 0 or value > refundable:
            raise BusinessRuleError(
                _("O valor do reembolso deve estar entre 0,01 e %(max)s.") % {"max": refundable},
                field="amount",
            )
        client = asaas or AsaasService.from_settings()
        try:
            payment = client.payment_refund(
                appointment.asaas_payment_id,
                # No value = full refund, only while nothing was refunded before.
                value=None if value == appointment.total_amount else value,
                description=description or None,
            )
        except AsaasError as error:
            transaction_record(
                appointment=appointment,
                transaction_type=TransactionType.REFUND,
                succeeded=False,
                amount=value,
                error=error,
            )
            raise BusinessRuleError(
                _("O Asaas recusou o reembolso: %(error)s") % {"error": error}
            ) from error
        appointment.refunded_amount += value
        if appointment.refunded_amount >= appointment.total_amount:
            appointment.status = PaymentStatus.REFUNDED
            appointment_notify_on_commit(appointment=appointment, status=appointment.status)
        appointment.save()
        transaction_record(
            appointment=appointment,
            transaction_type=TransactionType.REFUND,
            succeeded=True,
            amount=value,
            exchange=payment.exchange,
        )
        return appointment


def appointment_payment_sync(
    *, appointment_id: int, asaas: AsaasService | None = None
) -> Appointment | None:
    """Re-read the charge from Asaas and apply what changed (polling fallback to webhooks)."""
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if appointment is None or not appointment.asaas_payment_id:
            return appointment
        client = asaas or AsaasService.from_settings()
        payment = client.payment_get(appointment.asaas_payment_id)
        if payment.deleted:
            event = "PAYMENT_DELETED"
        else:
            event = ASAAS_STATUS_EVENTS.get(payment.status or "", "")
        if event:
            appointment_transition_apply(
                appointment=appointment,
                event=event,
                payment=payment.raw,
                transaction_type=TransactionType.SYNC,
            )
        appointment.updated_at = timezone.now()
        appointment.save(update_fields=["updated_at"])
        return appointment
