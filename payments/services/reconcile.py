"""Reconciliation: our charges against Asaas, drift by kind, and (``fix``) Asaas's state applied.

Kinds of drift:

* ``status`` — our charge status is not what Asaas's payment says;
* ``value`` — Asaas charges another value than ours;
* ``refunded`` — refunded amounts differ;
* ``split`` — the split amounts are missing (a charge Asaas created must have them);
* ``ledger`` — CHARGE/SPLIT ledger rows are missing for a charge Asaas created;
* ``missing_at_asaas`` — we hold a payment id Asaas does not know;
* ``orphan`` — Asaas has a live charge with one of our references that we have not linked.

``fix`` applies Asaas's state through ``charge_transition`` (SYNCED), which also writes the
missing split amounts and ledger rows; a value drift is reported, never "fixed" (a person must
decide). Nothing is locked while Asaas is called.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payments.models import (
    Charge,
    ChargeStatus,
    PaymentTransaction,
    ReconciliationRun,
    TransactionStatus,
    TransactionType,
)
from payments.services import transitions as t
from payments.services.asaas_service import (
    AsaasError,
    AsaasNotFoundError,
    AsaasPayment,
    AsaasService,
)
from payments.services.charges import (
    appointment_id_from_reference,
    appointment_reference_for,
    asaas_client,
    asaas_payment_snapshot,
    charge_snapshot_apply,
)
from payments.services.state import (
    ChargeSnapshot,
    StaleSnapshot,
    charge_apply_asaas_state,
    charge_lock,
)

logger = logging.getLogger("payments.reconcile")
DRIFT_KINDS = ("status", "value", "refunded", "split", "ledger", "missing_at_asaas", "orphan")
FIXABLE = frozenset({"status", "refunded", "split", "ledger", "orphan"})


@dataclass
class Drift:
    appointment_id: int | None
    asaas_payment_id: str
    kind: str
    ours: str
    asaas: str


@dataclass
class ReconcileReport:
    run: ReconciliationRun
    drifts: list[Drift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _has_ledger(charge: Charge) -> bool:
    kinds = set(
        PaymentTransaction.objects.filter(
            appointment_id=charge.appointment_id,
            status=TransactionStatus.SUCCESS,
            transaction_type__in=[TransactionType.CHARGE, TransactionType.SPLIT],
        ).values_list("transaction_type", flat=True)
    )
    return kinds == {TransactionType.CHARGE, TransactionType.SPLIT}


def charge_drifts(charge: Charge, payment: AsaasPayment) -> list[Drift]:
    """How our charge differs from Asaas's payment (empty when they agree)."""
    found: list[Drift] = []

    def add(kind: str, ours: object, theirs: object) -> None:
        found.append(Drift(charge.appointment_id, payment.id, kind, str(ours), str(theirs)))

    state = t.asaas_state(payment, refunds_known=True)
    if state is not None and state.status != charge.status:
        add("status", charge.status, f"{state.status} ({payment.status})")
    if payment.value is not None and charge.value is not None and payment.value != charge.value:
        add("value", charge.value, payment.value)
    if (
        state is not None
        and state.refunded is not None
        and state.refunded != charge.refunded_amount
    ):
        add("refunded", charge.refunded_amount, state.refunded)
    if charge.platform_amount is None or charge.professional_amount is None:
        add("split", "-", "split amounts missing")
    if not _has_ledger(charge):
        add("ledger", "-", "CHARGE/SPLIT rows missing")
    return found


def _fix(appointment_id: int, payment_id: str, asaas: AsaasService) -> bool:
    """Apply Asaas's current state (read again: the charge may have moved since the check)."""

    def apply(snapshot: ChargeSnapshot) -> bool:
        with transaction.atomic():
            locked = charge_lock(appointment_id=appointment_id)
            if locked is None:
                return False
            appointment, charge = locked
            if charge.asaas_payment_id not in {None, snapshot.payment.id}:
                return False
            charge_apply_asaas_state(appointment=appointment, charge=charge, snapshot=snapshot)
            return True

    try:
        return charge_snapshot_apply(
            appointment_id=appointment_id, payment_id=payment_id, asaas=asaas, apply=apply
        )
    except (AsaasError, StaleSnapshot):
        return False  # still moving, or Asaas unavailable: the next run looks again


def _orphans(asaas: AsaasService, since: datetime | None, known: set[str]) -> list[AsaasPayment]:
    """Asaas charges with one of our references that we have not linked."""
    unlinked = Charge.objects.filter(asaas_payment_id__isnull=True).exclude(attempts=0)
    if since is not None:
        unlinked = unlinked.filter(updated_at__gte=since)
    found = []
    for appointment_id in unlinked.values_list("appointment_id", flat=True)[:1000]:
        payment = asaas.payment_find_by_external_reference(
            appointment_reference_for(appointment_id=appointment_id)
        )
        if payment is not None and payment.id not in known:
            found.append(payment)
    return found


def payments_reconcile(
    *, since: datetime | None = None, fix: bool = False, asaas: AsaasService | None = None
) -> ReconcileReport:
    """Compare every linked charge (changed since ``since``, plus all unsettled ones)."""
    client = asaas or asaas_client()
    run = ReconciliationRun.objects.create(fixed=fix)
    report = ReconcileReport(run=run)
    charges = Charge.objects.filter(asaas_payment_id__isnull=False)
    if since is not None:
        charges = charges.filter(
            Q(updated_at__gte=since)
            | Q(status__in=[ChargeStatus.AWAITING_PAYMENT, ChargeStatus.CHARGEBACK])
        )
    fixed = 0
    known: set[str] = set()
    for charge in charges.order_by("pk").iterator(chunk_size=500):
        assert charge.asaas_payment_id is not None
        known.add(charge.asaas_payment_id)
        run.checked += 1
        try:
            payment = asaas_payment_snapshot(asaas=client, payment_id=charge.asaas_payment_id)
        except AsaasNotFoundError:
            report.drifts.append(
                Drift(
                    charge.appointment_id,
                    charge.asaas_payment_id,
                    "missing_at_asaas",
                    charge.status,
                    "-",
                )
            )
            continue
        except AsaasError as error:
            report.errors.append(f"{charge.asaas_payment_id}: {type(error).__name__}")
            continue
        drifts = charge_drifts(charge, payment)
        report.drifts.extend(drifts)
        if (
            fix
            and any(d.kind in FIXABLE for d in drifts)
            and _fix(charge.appointment_id, payment.id, client)
        ):
            fixed += sum(1 for d in drifts if d.kind in FIXABLE)
    try:
        orphans = _orphans(client, since, known)
    except AsaasError as error:
        report.errors.append(f"orphans: {type(error).__name__}")
        orphans = []
    for payment in orphans:
        appointment_id = appointment_id_from_reference(payment.external_reference or "")
        report.drifts.append(Drift(appointment_id, payment.id, "orphan", "-", payment.status or ""))
        if fix and appointment_id is not None:
            if Charge.objects.filter(
                appointment_id=appointment_id, status=ChargeStatus.CANCELED
            ).exists():
                # We cancelled it; its creation reached Asaas after all: delete it there.
                try:
                    client.payment_delete(payment.id)
                    fixed += 1
                except AsaasError as error:
                    report.errors.append(f"{payment.id}: {type(error).__name__}")
                continue
            if _fix(appointment_id, payment.id, client):
                fixed += 1
    run.drift_found = len(report.drifts)
    run.drift_fixed = fixed
    run.drift_by_kind = dict(Counter(d.kind for d in report.drifts))
    run.finished_at = timezone.now()
    run.save()
    logger.info("reconciliation checked=%s drift=%s fixed=%s", run.checked, run.drift_found, fixed)
    return report
