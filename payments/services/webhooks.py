"""Asaas webhooks: store first (deduplicated by event id), then apply the transition table."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from core.exceptions import BusinessRuleError
from payments.models import TransactionType, WebhookEvent, WebhookOutcome
from payments.services.charges import appointment_id_from_reference
from payments.services.state import appointment_transition_apply
from payments.services.webhook_payload import webhook_payload_scrub

logger = logging.getLogger("payments.webhooks")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE for NOWAIT on a locked row
DEFERRED = "DEFERRED"


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
    payment_id = payment.get("id") if isinstance(payment, Mapping) else None
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id,
                event_type=event_type,
                asaas_payment_id=str(payment_id or "")[:64],
                payload=webhook_payload_scrub(payload),
            )
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=event_id), False
    return event, True


class AppointmentBusy(Exception):
    """The appointment row is locked (its charge is being created right now)."""


def _appointment_for(payment: Mapping[str, Any], *, wait: bool) -> Appointment | None:
    # Inside the webhook request we must not wait behind a worker talking to Asaas (the
    # delivery would exceed Asaas's 10 s); the event is then finished by a task instead.
    queryset = Appointment.objects.select_for_update(of=("self",), nowait=not wait)
    appointment_id = appointment_id_from_reference(str(payment.get("externalReference") or ""))
    if appointment_id is not None:
        found = _first_locked(queryset.filter(pk=appointment_id))
        if found is not None:
            return found
    payment_id = payment.get("id")
    if payment_id:
        return _first_locked(queryset.filter(asaas_payment_id=str(payment_id)))
    return None


def _first_locked(queryset: Any) -> Appointment | None:
    try:
        return queryset.first()  # type: ignore[no-any-return]
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise AppointmentBusy from error
        raise


def webhook_event_process(*, event_id: int, wait: bool = True) -> str:
    """Apply a stored event once. Returns its outcome; failures are stored as FAILED.

    With ``wait=False`` (the webhook request) a locked appointment is not waited for: the
    event stays RECEIVED and ``DEFERRED`` is returned, for a task to finish it.
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if event.outcome in {WebhookOutcome.PROCESSED, WebhookOutcome.IGNORED}:
                return event.outcome
            event.attempts += 1
            payment = event.payload.get("payment")
            appointment = (
                _appointment_for(payment, wait=wait) if isinstance(payment, Mapping) else None
            )
            if appointment is None:
                event.outcome = WebhookOutcome.IGNORED
                event.error = _("Nenhuma consulta corresponde a esta cobrança.")
            else:
                target = appointment_transition_apply(
                    appointment=appointment,
                    event=event.event_type,
                    payment=payment,
                    transaction_type=TransactionType.WEBHOOK,
                    webhook_event=event,
                )
                if target is None:
                    event.outcome = WebhookOutcome.IGNORED
                    event.error = _("Transição não prevista: %(event)s com status %(status)s.") % {
                        "event": event.event_type,
                        "status": appointment.status,
                    }
                else:
                    event.outcome = WebhookOutcome.PROCESSED
                    event.error = ""
            event.processed_at = timezone.now()
            event.save()
            return event.outcome
    except AppointmentBusy:
        return DEFERRED
    except Exception as error:  # recorded as FAILED for the replay command
        logger.exception("webhook processing failed event=%s", event_id)
        WebhookEvent.objects.filter(pk=event_id).update(
            outcome=WebhookOutcome.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
        )
        return WebhookOutcome.FAILED


def webhook_events_replay(*, limit: int = 500) -> dict[str, int]:
    """Process FAILED events again (and stored events a crash left unprocessed), oldest first."""
    counts: dict[str, int] = {}
    stranded = timezone.now() - timedelta(minutes=1)
    pending = WebhookEvent.objects.filter(
        Q(outcome=WebhookOutcome.FAILED)
        | Q(outcome=WebhookOutcome.RECEIVED, received_at__lt=stranded)
    ).order_by("received_at")
    for event_id in pending.values_list("pk", flat=True)[:limit]:
        outcome = webhook_event_process(event_id=event_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
