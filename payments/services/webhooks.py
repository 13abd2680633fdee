"""Asaas webhooks: store first (deduplicated by event id), then converge the charge.

Processing an event:

1. *bind* it to a charge by Asaas payment id. ``externalReference`` only serves to adopt a
   charge we created and have not linked yet, and only when it is exactly
   ``appointment-<ASCII digits>`` and Asaas's customer and value are ours. A mismatch is
   REJECTED (stored, logged without personal data, counted, nothing changes);
2. if the event is a legal next step, newer than what we hold, apply it (``charge_transition``);
3. otherwise (out of order, duplicate with other data, a step that can go backwards) re-read
   the payment and its refunds from Asaas — outside any transaction — and apply Asaas's current
   state (``SYNCED``). The event is PROCESSED either way: nothing is ignored forever.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from core.db import prepared_cursor
from core.exceptions import BusinessRuleError
from core.observability.request_id import request_id_get
from payments.models import Charge, TransactionType, WebhookEvent, WebhookOutcome
from payments.services import transitions as t
from payments.services.asaas_service import (
    AsaasError,
    AsaasNotFoundError,
    AsaasPayment,
    AsaasService,
)
from payments.services.charges import (
    APPOINTMENT_REFERENCE_PREFIX,
    appointment_id_from_reference,
    asaas_client,
    charge_snapshot_apply,
)
from payments.services.state import (
    ChargeSnapshot,
    StaleSnapshot,
    charge_apply_asaas_state,
    charge_lock,
    charge_transition,
)
from payments.services.transitions import ALREADY_APPLIED, APPLY, charge_event_verdict
from payments.services.webhook_payload import webhook_payload_scrub

logger = logging.getLogger("payments.webhooks")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE for NOWAIT on a locked row
DEFERRED = "DEFERRED"
_REREAD = "REREAD"


def webhook_token_is_valid(received: str | None) -> bool:
    """Constant-time comparison; with no token configured every request is refused."""
    expected = settings.ASAAS_WEBHOOK_TOKEN
    if not expected or not received:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


def webhook_event_store(*, payload: Any) -> tuple[WebhookEvent, bool]:
    """Persist the event under its unique id. Returns ``(event, created)``."""
    if not isinstance(payload, Mapping):
        raise BusinessRuleError(_("O corpo do webhook deve ser um objeto JSON."))
    event_id = payload.get("id")
    event_type = payload.get("event")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 255:
        raise BusinessRuleError(_("Evento sem id válido."), field="id")
    if not isinstance(event_type, str) or not event_type.strip() or len(event_type) > 64:
        raise BusinessRuleError(_("Evento sem tipo válido."), field="event")
    payment = payload.get("payment")
    if "payment" in payload and not isinstance(payment, Mapping):
        raise BusinessRuleError(_("O campo payment deve ser um objeto."), field="payment")
    if "dateCreated" in payload and not isinstance(payload["dateCreated"], str):
        raise BusinessRuleError(_("O campo dateCreated deve ser um texto."), field="dateCreated")
    payment_id = payment.get("id") if isinstance(payment, Mapping) else None
    event = WebhookEvent(
        event_id=event_id,
        event_type=event_type,
        asaas_payment_id=str(payment_id or "")[:64],
        payload=webhook_payload_scrub(payload),
        request_id=request_id_get(),
    )
    connection = connections[WebhookEvent.objects.db]
    if connection.vendor == "postgresql":
        # One statement whatever happens: a duplicate id inserts nothing and raises nothing
        # (no savepoint inside a caller's transaction); outside one it is committed when it
        # returns, with no BEGIN/COMMIT round trips around it.
        if not _insert_unless_known(event, connection):
            return WebhookEvent.objects.get(event_id=event_id), False
        return event, True
    try:
        if transaction.get_autocommit():
            event.save(force_insert=True)
        else:  # inside a caller's transaction: a savepoint keeps it usable after a duplicate
            with transaction.atomic():
                event.save(force_insert=True)
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=event_id), False
    return event, True


def _insert_unless_known(event: WebhookEvent, connection: Any) -> bool:
    """``INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING id`` of ``event`` (its
    fields' own ``pre_save`` and database preparation, as ``save()`` does them): True and
    its ``pk`` set when the row is new, False when the id was already stored."""
    meta = WebhookEvent._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in fields]
    with prepared_cursor(connection.alias) as cursor:
        cursor.execute(
            # Identifiers from the model's meta, values as parameters.
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({quote(meta.get_field('event_id').column)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    event._state.db = connection.alias
    return True


class AppointmentBusy(Exception):
    """The appointment row is locked by another writer (the request does not wait)."""


@dataclass(frozen=True)
class _Binding:
    appointment_id: int | None
    outcome: str | None = None  # IGNORED / REJECTED when there is nothing to apply
    reason: str = ""


def _bind(payment: AsaasPayment) -> _Binding:
    if payment.id:
        linked = Charge.objects.filter(asaas_payment_id=payment.id).values_list(
            "appointment_id", flat=True
        )
        for appointment_id in linked:
            return _Binding(appointment_id)
        legacy = Appointment.objects.filter(asaas_payment_id=payment.id).values_list(
            "pk", flat=True
        )
        for appointment_id in legacy:
            return _Binding(appointment_id)
    reference = payment.external_reference or ""
    referenced = appointment_id_from_reference(reference)
    if referenced is not None:
        return _Binding(referenced)
    if reference.startswith(APPOINTMENT_REFERENCE_PREFIX):
        return _Binding(None, WebhookOutcome.REJECTED, "malformed_reference")
    return _Binding(None, WebhookOutcome.IGNORED, "unknown_payment")


def _adoption_problem(appointment: Appointment, charge: Charge, payment: AsaasPayment) -> str:
    """Why an event may not adopt this (unlinked) charge; empty when it may."""
    if charge.asaas_payment_id:
        return "" if charge.asaas_payment_id == payment.id else "other_payment"
    if charge.status not in t.NOT_LINKED:
        return "charge_closed"
    patient = appointment.patient
    if (
        patient is None
        or not patient.asaas_customer_id
        or payment.customer != patient.asaas_customer_id
    ):
        return "customer_mismatch"
    expected = charge.value if charge.value is not None else appointment.total_amount
    if payment.value is None or payment.value != expected:
        return "value_mismatch"
    return ""


def _lock(appointment_id: int, *, wait: bool) -> tuple[Appointment, Charge] | None:
    # Inside the webhook request we must not wait behind another writer: the event is then
    # finished by a task instead.
    if wait:
        return charge_lock(appointment_id=appointment_id)
    try:
        with transaction.atomic():
            Appointment.objects.select_for_update(nowait=True, no_key=True).filter(
                pk=appointment_id
            ).exists()
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise AppointmentBusy from error
        raise
    return charge_lock(appointment_id=appointment_id)


def _finish(event: WebhookEvent, outcome: str, error: str = "") -> str:
    event.outcome = outcome
    event.error = error
    event.processed_at = timezone.now()
    event.save()
    if outcome == WebhookOutcome.REJECTED:
        logger.warning("webhook rejected event=%s reason=%s", event.pk, error)
    return outcome


def _first_pass(event: WebhookEvent, *, wait: bool) -> str:
    """Under the locks: bind, then apply the event or decide to re-read. Returns an outcome
    or ``_REREAD``."""
    raw = event.payload.get("payment")
    if not event.event_type.startswith("PAYMENT_") or not isinstance(raw, Mapping):
        return _finish(event, WebhookOutcome.IGNORED, _("Evento não relacionado a cobranças."))
    payment = AsaasPayment.from_api(raw)
    binding = _bind(payment)
    if binding.appointment_id is None:
        assert binding.outcome is not None
        return _finish(event, binding.outcome, binding.reason)
    locked = _lock(binding.appointment_id, wait=wait)
    if locked is None:
        return _finish(event, WebhookOutcome.REJECTED, "no_charge")
    appointment, charge = locked
    problem = _adoption_problem(appointment, charge, payment)
    if problem:
        return _finish(event, WebhookOutcome.REJECTED, problem)
    event.charge = charge
    if event.event_type in t.INFORMATIONAL_EVENTS:
        return _finish(event, WebhookOutcome.PROCESSED)
    verdict = charge_event_verdict(charge=charge, event=event.event_type, payment=payment)
    if verdict == ALREADY_APPLIED:
        return _finish(event, WebhookOutcome.PROCESSED, _("Já aplicado."))
    if verdict == APPLY:
        charge_transition(
            appointment=appointment,
            charge=charge,
            trigger=event.event_type,
            payment=payment,
            webhook_event=event,
            ledger_type=TransactionType.WEBHOOK,
        )
        return _finish(event, WebhookOutcome.PROCESSED)
    event.save(update_fields=["attempts", "charge"])
    return _REREAD


def _converge(event_id: int, asaas: AsaasService) -> str:
    """Re-read the payment from Asaas (no transaction held) and apply its current state; read
    again when another step reached the charge between the read and the lock."""
    event = WebhookEvent.objects.select_related("charge").get(pk=event_id)
    if event.charge is None:
        return _finish(event, WebhookOutcome.REJECTED, "no_charge")
    appointment_id = event.charge.appointment_id

    def apply(snapshot: ChargeSnapshot) -> str:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if event.outcome in {WebhookOutcome.PROCESSED, WebhookOutcome.REJECTED}:
                return event.outcome
            locked = charge_lock(appointment_id=appointment_id)
            if locked is None:
                return _finish(event, WebhookOutcome.REJECTED, "no_charge")
            appointment, charge = locked
            if _adoption_problem(appointment, charge, snapshot.payment):
                return _finish(event, WebhookOutcome.REJECTED, "other_payment")
            charge_apply_asaas_state(
                appointment=appointment,
                charge=charge,
                snapshot=snapshot,
                webhook_event=event,
                ledger_type=TransactionType.WEBHOOK,
            )
            return _finish(
                event, WebhookOutcome.PROCESSED, _("Convergido ao estado atual do Asaas.")
            )

    try:
        return charge_snapshot_apply(
            appointment_id=appointment_id,
            payment_id=event.asaas_payment_id,
            asaas=asaas,
            apply=apply,
        )
    except AsaasNotFoundError:
        # Asaas does not know this payment: a forged or foreign event.
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            return _finish(event, WebhookOutcome.REJECTED, "unknown_at_asaas")


def webhook_event_process(
    *, event_id: int, wait: bool = True, asaas: AsaasService | None = None
) -> str:
    """Process a stored event once. Returns its outcome; failures are stored as FAILED.

    With ``wait=False`` (inside the webhook request) nothing waits and nothing calls Asaas:
    when the appointment is busy or the event needs a re-read, ``DEFERRED`` is returned and
    the event stays RECEIVED for a task to finish.
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if event.outcome in {
                WebhookOutcome.PROCESSED,
                WebhookOutcome.IGNORED,
                WebhookOutcome.REJECTED,
            }:
                return event.outcome
            event.attempts += 1
            outcome = _first_pass(event, wait=wait)
        if outcome != _REREAD:
            return outcome
        if not wait:
            return DEFERRED
        return _converge(event_id, asaas or asaas_client())
    except AppointmentBusy:
        return DEFERRED
    except Exception as error:  # recorded as FAILED for the replay
        # Asaas unavailable, or the charge kept moving while we read it: the replay retries.
        retryable = isinstance(error, AsaasError | StaleSnapshot)
        if not retryable:
            logger.exception("webhook processing failed event=%s", event_id)
        else:
            logger.warning("webhook re-read failed event=%s: %s", event_id, type(error).__name__)
        WebhookEvent.objects.filter(pk=event_id).update(
            outcome=WebhookOutcome.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
        )
        return WebhookOutcome.FAILED


def webhook_events_replay(*, limit: int = 500) -> dict[str, int]:
    """Process FAILED events again (and stored events left unprocessed), oldest first."""
    counts: dict[str, int] = {}
    stranded = timezone.now() - timedelta(seconds=settings.WEBHOOK_STRANDED_AFTER_SECONDS)
    pending = WebhookEvent.objects.filter(
        Q(outcome=WebhookOutcome.FAILED)
        | Q(outcome=WebhookOutcome.RECEIVED, received_at__lt=stranded)
    ).order_by("received_at")
    for event_id in pending.values_list("pk", flat=True)[:limit]:
        outcome = webhook_event_process(event_id=event_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def webhook_events_drain(*, limit: int = 500) -> tuple[dict[str, int], list[int], bool]:
    """Process the stored events not yet processed (RECEIVED), oldest first: the drain that
    webhook requests ask for (``payments.tasks.webhook_processing_request``). Returns the
    outcomes counted, the ids that FAILED (for their own retried task) and whether more were
    waiting than ``limit``."""
    ids = list(
        WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )
    counts: dict[str, int] = {}
    failed: list[int] = []
    for event_id in ids[:limit]:
        outcome = webhook_event_process(event_id=event_id)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == WebhookOutcome.FAILED:
            failed.append(event_id)
    return counts, failed, len(ids) > limit
