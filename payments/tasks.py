"""Celery tasks: each takes ids, reloads rows, returns early when the work is done.

Retries have one owner: these tasks (Celery), by exception class. The Asaas client used on the
payment path makes no retries of its own (``asaas_client``); the charge service says when to
run again (``ChargeOutcome.retry_in``: exponential backoff with jitter, capped attempts).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from payments.models import Charge, ChargeStatus
from payments.services import charge_actions, charges, notifications, onboarding, webhooks
from payments.services.asaas_service import AsaasError
from payments.services.charges import RETRY_BACKOFF_MAX, retry_delay

logger = logging.getLogger("payments.tasks")


@shared_task(bind=True, name="payments.tasks.professional_onboard_task", max_retries=5)
def professional_onboard_task(self: Task[Any, Any], professional_id: int) -> None:
    error = onboarding.professional_onboard(professional_id=professional_id)
    if error is not None:
        countdown = retry_delay(attempt=self.request.retries + 1, error=error)
        raise self.retry(exc=error, countdown=min(countdown, RETRY_BACKOFF_MAX))


@shared_task(bind=True, name="payments.tasks.create_asaas_charge_task", max_retries=None)
def create_asaas_charge_task(self: Task[Any, Any], appointment_id: int) -> str:
    """Submit the charge; the service caps the attempts (PAYMENT_MAX_ATTEMPTS)."""
    outcome = charges.charge_submit(appointment_id=appointment_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="payments.tasks.appointment_notify_task")
def appointment_notify_task(appointment_id: int, status: str) -> bool:
    return notifications.appointment_notify(appointment_id=appointment_id, status=status)


@shared_task(name="payments.tasks.sweep_unsubmitted_charges_task")
def sweep_unsubmitted_charges_task() -> int:
    """Enqueue charges never submitted (the enqueue on commit is not durable: broker down,
    crash) and submissions whose worker died (claim older than the lease)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.PAYMENT_SWEEP_AFTER_SECONDS)
    lease = now - timedelta(seconds=settings.PAYMENT_SUBMIT_LEASE_SECONDS)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ids = list(
        Charge.objects.filter(
            (Q(status=ChargeStatus.PENDING, updated_at__lt=cutoff) & due)
            | Q(status=ChargeStatus.SUBMITTING, claimed_at__lt=lease)
        ).values_list("appointment_id", flat=True)[:500]
    )
    # Billed appointments whose charge row does not exist yet (their task never ran).
    from appointments.models import Appointment, PaymentStatus

    ids += list(
        Appointment.objects.filter(
            status=PaymentStatus.PENDING,
            charge__isnull=True,
            asaas_payment_id__isnull=True,
            updated_at__lt=cutoff,
        ).values_list("pk", flat=True)[:500]
    )
    for appointment_id in ids:
        create_asaas_charge_task.delay(appointment_id)
    if ids:
        logger.info("sweeper re-enqueued %d charges", len(ids))
    return len(ids)


@shared_task(name="payments.tasks.sync_stale_charges_task")
def sync_stale_charges_task() -> int:
    """Re-read charges whose state may still move without us hearing (unpaid for long, in a
    chargeback, always-re-read ones)."""
    cutoff = timezone.now() - timedelta(hours=settings.PAYMENT_SYNC_AFTER_HOURS)
    ids = list(
        Charge.objects.filter(
            Q(status=ChargeStatus.AWAITING_PAYMENT, updated_at__lt=cutoff)
            | Q(status=ChargeStatus.CHARGEBACK)
            | Q(reread_only=True, updated_at__lt=cutoff)
        )
        .order_by("updated_at")
        .values_list("appointment_id", flat=True)[:200]
    )
    synced = 0
    for appointment_id in ids:
        try:
            charge_actions.charge_sync(appointment_id=appointment_id)
            synced += 1
        except AsaasError as error:
            logger.warning("sync failed appointment=%s: %s", appointment_id, type(error).__name__)
    return synced


@shared_task(name="payments.tasks.replay_failed_webhooks_task")
def replay_failed_webhooks_task() -> dict[str, int]:
    return webhooks.webhook_events_replay()


#: The shared flag "a drain is pending" (see ``webhook_processing_request``).
WEBHOOK_DRAIN_FLAG = "payments:webhook-drain-pending"
#: How long a raised flag lives if its drain never runs (a lost message, a dead worker): past
#: it, the next webhook asks again (and the replay task is the net for a quiet period).
WEBHOOK_DRAIN_FLAG_SECONDS = 30
#: Events one drain processes before it hands over to another drain.
WEBHOOK_DRAIN_BATCH = 200


def webhook_processing_request(event_id: int) -> None:
    """After a webhook event's store commits: have it processed.

    With the shared Redis cache, the events are processed by a coalesced drain: the request
    raises a shared flag and publishes ``drain_webhook_events_task`` only when it raised it;
    the drain lowers the flag *before* reading the RECEIVED events, so an event committed
    before a flag that the drain lowered is read by that drain, and one whose flag found no
    flag up publishes a new drain. Under a stream of webhooks a request then costs one
    ``SET NX`` instead of a task message. Without a shared flag (a per-process cache) each
    event gets its own task, as before. Either way, an event whose message is lost stays
    RECEIVED and the replay task processes it (``WEBHOOK_STRANDED_AFTER_SECONDS``).
    """
    from django.core.cache import cache

    try:
        flag_raise = getattr(cache, "flag_raise", None)
        if flag_raise is None:
            process_webhook_event_task.delay(event_id)
            return
        raised = flag_raise(WEBHOOK_DRAIN_FLAG, WEBHOOK_DRAIN_FLAG_SECONDS)
        if raised is False:
            return  # a drain is pending: it reads this event (committed before it saw the flag)
        if drain_webhook_events_task.delay() is None and raised:
            cache.delete(WEBHOOK_DRAIN_FLAG)  # broker down: the next event tries again
    except Exception:  # after the answer's commit: never the request's failure
        logger.exception("webhook event %s left to the replay", event_id)


@shared_task(name="payments.tasks.drain_webhook_events_task")
def drain_webhook_events_task() -> dict[str, int]:
    """Process the RECEIVED webhook events (see ``webhook_processing_request``). Safe to run
    twice or concurrently: each event is processed under its row lock, once."""
    from django.core.cache import cache

    cache.delete(WEBHOOK_DRAIN_FLAG)  # first: an event stored from now on asks again
    counts, failed, more = webhooks.webhook_events_drain(limit=WEBHOOK_DRAIN_BATCH)
    for event_id in failed:  # each with its own backoff, as a first failed task would
        try:
            process_webhook_event_task.apply_async((event_id,), countdown=retry_delay(attempt=1))
        except BrokerError as error:  # the broker is gone: the replay task retries it
            logger.warning("webhook event %s left to the replay: %s", event_id, error)
    if more:
        drain_webhook_events_task.delay()
    return counts


@shared_task(bind=True, name="payments.tasks.process_webhook_event_task", max_retries=8)
def process_webhook_event_task(self: Task[Any, Any], event_id: int) -> str:
    """Finish a webhook event the request did not (busy appointment, or a re-read needed)."""
    outcome = webhooks.webhook_event_process(event_id=event_id)
    if outcome == "FAILED":
        # Asaas did not answer the re-read (or a bug): back off; the replay task is the net.
        raise self.retry(countdown=retry_delay(attempt=self.request.retries + 1))
    return outcome


@shared_task(name="payments.tasks.reconcile_payments_task")
def reconcile_payments_task() -> dict[str, int]:
    """Daily: compare our charges with Asaas and apply Asaas's state where they differ."""
    from payments.services.reconcile import payments_reconcile

    run = payments_reconcile(
        since=timezone.now() - timedelta(days=settings.PAYMENT_RECONCILE_DAYS), fix=True
    ).run
    return {"drift_found": run.drift_found, "drift_fixed": run.drift_fixed}
