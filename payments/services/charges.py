"""Creating an appointment's charge at Asaas, in short phases with no lock across HTTP.

1. *claim* (short transaction): lock the appointment and its charge; a PENDING charge (or one
   whose previous claim expired) becomes SUBMITTING, attempt n, with its split amounts;
2. *call* (no transaction): find the charge by ``externalReference`` — a previous attempt may
   have created it — else create it;
3. *record* (short transaction): ``SUBMITTED`` with Asaas's answer (ids, amounts, CHARGE and
   SPLIT ledger rows), or ``SUBMIT_FAILED`` / ``SUBMIT_GAVE_UP``.

A ``PAYMENT_CREATED`` webhook that arrives between 2 and 3 links the charge itself (see
``webhooks.py``); step 3 then finds it linked and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment, PaymentStatus
from payments.models import Charge, ChargeStatus
from payments.services import transitions as t
from payments.services.asaas_service import AsaasError, AsaasPayment, AsaasService, SplitRule
from payments.services.customers import patient_customer_ensure, patient_customer_release
from payments.services.state import (
    ChargeSnapshot,
    StaleSnapshot,
    charge_lock,
    charge_transition,
)

logger = logging.getLogger("payments.charges")

#: ``externalReference`` of an appointment's charge: how retries and webhooks find it.
APPOINTMENT_REFERENCE_PREFIX = "appointment-"
_REFERENCE = re.compile(r"\Aappointment-([1-9][0-9]{0,17})\Z", re.ASCII)
RETRY_BACKOFF_MAX = 600  # seconds; below the broker's visibility timeout (2 h)
CUSTOMER_BUSY_RETRY = 3
SNAPSHOT_ATTEMPTS = 4  # reads of Asaas before a convergence gives up (it is retried later)
_T = TypeVar("_T")


def appointment_external_reference(appointment: Appointment) -> str:
    return appointment_reference_for(appointment_id=appointment.pk)


def appointment_reference_for(*, appointment_id: int) -> str:
    """The ``externalReference`` of an appointment's charge at Asaas."""
    return f"{APPOINTMENT_REFERENCE_PREFIX}{appointment_id}"


def appointment_id_from_reference(reference: str) -> int | None:
    """The appointment id in one of our references (``appointment-<ASCII digits>``), else None."""
    match = _REFERENCE.match(reference)
    return int(match.group(1)) if match else None


def asaas_client() -> AsaasService:
    """The client for the payment path: no retries of its own (Celery owns retries)."""
    return AsaasService.from_settings(max_retries=0)


def asaas_payment_snapshot(*, asaas: AsaasService, payment_id: str) -> AsaasPayment:
    """Asaas's current payment object with its refunds (two GETs, outside any transaction)."""
    payment = asaas.payment_get(payment_id)
    if not payment.deleted and (payment.status or "") not in {"PENDING", "OVERDUE"}:
        refunds = asaas.payment_refunds(payment_id).data
        payment = replace(payment, refunds=tuple(refunds))
    return payment


def charge_snapshot_read(
    *, appointment_id: int, payment_id: str, asaas: AsaasService
) -> ChargeSnapshot:
    """The charge's version, then Asaas's payment: see ``ChargeSnapshot`` for why that order."""
    version = (
        Charge.objects.filter(appointment_id=appointment_id)
        .values_list("version", flat=True)
        .first()
    )
    payment = asaas_payment_snapshot(asaas=asaas, payment_id=payment_id)
    return ChargeSnapshot(payment=payment, version=version or 0)


def charge_snapshot_apply(
    *,
    appointment_id: int,
    payment_id: str,
    asaas: AsaasService,
    apply: Callable[[ChargeSnapshot], _T],
    attempts: int = SNAPSHOT_ATTEMPTS,
) -> _T:
    """Read Asaas's payment and hand it to ``apply`` (which locks, in a transaction of its own,
    and applies it); when the charge moved on between the read and the lock (``StaleSnapshot``)
    read again. After ``attempts`` reads that all went stale, ``StaleSnapshot`` propagates."""
    for attempt in range(1, attempts + 1):
        snapshot = charge_snapshot_read(
            appointment_id=appointment_id, payment_id=payment_id, asaas=asaas
        )
        try:
            return apply(snapshot)
        except StaleSnapshot:
            logger.info("stale snapshot appointment=%s attempt=%s", appointment_id, attempt)
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def retry_delay(*, attempt: int, error: AsaasError | None = None) -> int:
    """Exponential backoff with full jitter; a rate limit's reset time is honoured."""
    countdown = int(
        get_exponential_backoff_interval(
            factor=settings.PAYMENT_RETRY_BACKOFF_SECONDS,
            retries=max(attempt - 1, 0),
            maximum=RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
    )
    reset = getattr(error, "reset_seconds", None)
    if reset:
        countdown = max(countdown, min(int(reset), RETRY_BACKOFF_MAX))
    return max(countdown, 1)


@dataclass(frozen=True)
class ChargeOutcome:
    status: str
    retry_in: int | None = None  # seconds: the task should run again then


def _claim(appointment_id: int) -> tuple[Appointment, Charge] | ChargeOutcome:
    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment_id)
        if locked is None:
            return ChargeOutcome(status="MISSING")
        appointment, charge = locked
        now = timezone.now()
        lease = timedelta(seconds=settings.PAYMENT_SUBMIT_LEASE_SECONDS)
        if charge.status == ChargeStatus.SUBMITTING and (
            charge.claimed_at is not None and charge.claimed_at > now - lease
        ):
            return ChargeOutcome(status=appointment.status)  # another worker is on it
        if charge.status not in {ChargeStatus.PENDING, ChargeStatus.SUBMITTING}:
            return ChargeOutcome(status=appointment.status)
        if charge.next_attempt_at is not None and charge.next_attempt_at > now:
            # Too early: a duplicate enqueue must not defeat the backoff.
            wait = (charge.next_attempt_at - now).total_seconds()
            return ChargeOutcome(status=appointment.status, retry_in=max(int(wait), 1))
        charge_transition(appointment=appointment, charge=charge, trigger=t.CLAIMED)
        return appointment, charge


def _create_or_adopt(
    *, appointment: Appointment, charge: Charge, customer_id: str, asaas: AsaasService
) -> AsaasPayment:
    reference = appointment_external_reference(appointment)
    existing = asaas.payment_find_by_external_reference(reference)
    if existing is not None:
        logger.info("charge adopted appointment=%s payment=%s", appointment.pk, existing.id)
        return existing
    assert charge.value is not None
    assert appointment.due_date is not None
    return asaas.payment_create(
        customer=customer_id,
        billing_type=appointment.payment_method,
        value=charge.value,
        due_date=appointment.due_date,
        external_reference=reference,
        # Health data stays out of Asaas: no profession, no reason, just our reference.
        description=_("Consulta %(ref)s") % {"ref": reference},
        # The professional's share is a fixed value: Asaas computes splits on the net value
        # (after its fee), so the platform's share absorbs the fee.
        split=[
            SplitRule(
                wallet_id=appointment.professional.asaas_wallet_id,
                fixed_value=charge.professional_amount,
            )
        ]
        if charge.professional_amount
        else [],
    )


def _record_failure(*, appointment_id: int, error: AsaasError) -> ChargeOutcome:
    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment_id)
        assert locked is not None
        appointment, charge = locked
        if charge.status != ChargeStatus.SUBMITTING:
            return ChargeOutcome(status=appointment.status)  # linked meanwhile by a webhook
        give_up = not error.retryable or charge.attempts >= settings.PAYMENT_MAX_ATTEMPTS
        delay = None if give_up else retry_delay(attempt=charge.attempts, error=error)
        charge_transition(
            appointment=appointment,
            charge=charge,
            trigger=t.SUBMIT_GAVE_UP if give_up else t.SUBMIT_FAILED,
            error=error,
            retry_at=None if delay is None else timezone.now() + timedelta(seconds=delay),
        )
    logger.warning(
        "charge failed appointment=%s attempt=%s retryable=%s",
        appointment_id,
        charge.attempts,
        error.retryable,
    )
    return ChargeOutcome(status=appointment.status, retry_in=delay)


def _record_success(*, appointment_id: int, payment: AsaasPayment) -> ChargeOutcome:
    with transaction.atomic():
        locked = charge_lock(appointment_id=appointment_id)
        assert locked is not None
        appointment, charge = locked
        if charge.asaas_payment_id == payment.id:
            return ChargeOutcome(status=appointment.status)  # a webhook linked it first
        if charge.asaas_payment_id or charge.status != ChargeStatus.SUBMITTING:
            logger.error(
                "charge answer for a charge that moved on appointment=%s status=%s",
                appointment_id,
                charge.status,
            )
            return ChargeOutcome(status=appointment.status)
        charge_transition(
            appointment=appointment,
            charge=charge,
            trigger=t.SUBMITTED,
            payment=payment,
            exchange=payment.exchange,
        )
        return ChargeOutcome(status=appointment.status)


def charge_submit(*, appointment_id: int, asaas: AsaasService | None = None) -> ChargeOutcome:
    """Create the appointment's charge at Asaas once. Safe to run any number of times.

    ``retry_in`` (seconds) asks the caller (the task) to run again later.
    """
    appointment = Appointment.objects.filter(pk=appointment_id).only("patient_id", "status").first()
    if appointment is None:
        return ChargeOutcome(status="MISSING")
    if appointment.status != PaymentStatus.PENDING or appointment.patient_id is None:
        return ChargeOutcome(status=appointment.status)  # nothing to submit (checked again)
    not_before = (
        Charge.objects.filter(appointment_id=appointment_id)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if not_before is not None and not_before > timezone.now():
        # Too early (a duplicate enqueue): nothing reaches Asaas before the backoff ends.
        wait = (not_before - timezone.now()).total_seconds()
        return ChargeOutcome(status=appointment.status, retry_in=max(int(wait), 1))
    client = asaas or asaas_client()
    try:
        customer_id = patient_customer_ensure(patient_id=appointment.patient_id, asaas=client)
    except AsaasError as error:
        patient_customer_release(patient_id=appointment.patient_id)
        claimed = _claim(appointment_id)
        if isinstance(claimed, ChargeOutcome):
            return claimed
        return _record_failure(appointment_id=appointment_id, error=error)
    if customer_id is None:  # another charge of this patient is creating the customer
        return ChargeOutcome(status=appointment.status, retry_in=CUSTOMER_BUSY_RETRY)
    claimed = _claim(appointment_id)
    if isinstance(claimed, ChargeOutcome):
        return claimed
    appointment, charge = claimed
    try:
        payment = _create_or_adopt(
            appointment=appointment, charge=charge, customer_id=customer_id, asaas=client
        )
    except AsaasError as error:
        return _record_failure(appointment_id=appointment_id, error=error)
    return _record_success(appointment_id=appointment_id, payment=payment)
