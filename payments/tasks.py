"""Celery tasks: each takes ids, reloads rows, returns early when the work is done, and
retries only retryable errors with exponential backoff and jitter."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from appointments.models import Appointment, PaymentStatus
from payments.services import charges, notifications, onboarding, webhooks
from payments.services.asaas_service import AsaasError

logger = logging.getLogger("payments.tasks")

# The backoff factor (seconds) is the PAYMENT_RETRY_BACKOFF_SECONDS setting.
RETRY_POLICY = {
    "retry_backoff_max": 600,  # below the broker's visibility timeout (2 h)
    "retry_jitter": True,
    "max_retries": 5,
}


def _retry(task: Task[Any, Any], error: AsaasError) -> None:
    """Retry with exponential backoff and full jitter (Celery's own formula)."""
    from celery.utils.time import get_exponential_backoff_interval

    countdown = get_exponential_backoff_interval(
        factor=settings.PAYMENT_RETRY_BACKOFF_SECONDS,
        retries=task.request.retries,
        maximum=RETRY_POLICY["retry_backoff_max"],
        full_jitter=True,
    )
    reset = getattr(error, "reset_seconds", None)
    if reset:
        countdown = max(countdown, min(int(reset), RETRY_POLICY["retry_backoff_max"]))
    raise task.retry(exc=error, countdown=countdown, max_retries=RETRY_POLICY["max_retries"])


@shared_task(bind=True, name="payments.tasks.professional_onboard_task")
def professional_onboard_task(self: Task[Any, Any], professional_id: int) -> None:
    error = onboarding.professional_onboard(professional_id=professional_id)
    if error is not None:
        _retry(self, error)


@shared_task(bind=True, name="payments.tasks.create_asaas_charge_task")
def create_asaas_charge_task(self: Task[Any, Any], appointment_id: int) -> str:
    outcome = charges.appointment_charge_create(appointment_id=appointment_id)
    if outcome.retry is not None:
        _retry(self, outcome.retry)
    return outcome.status


@shared_task(name="payments.tasks.appointment_notify_task")
def appointment_notify_task(appointment_id: int, status: str) -> bool:
    return notifications.appointment_notify(appointment_id=appointment_id, status=status)


@shared_task(name="payments.tasks.sweep_unsubmitted_charges_task")
def sweep_unsubmitted_charges_task() -> int:
    """Re-enqueue charges that were never created (the enqueue after commit is not durable)."""
    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENT_SWEEP_AFTER_SECONDS)
    ids = list(
        Appointment.objects.filter(
            status=PaymentStatus.PENDING, asaas_payment_id__isnull=True, updated_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for appointment_id in ids:
        create_asaas_charge_task.delay(appointment_id)
    if ids:
        logger.info("sweeper re-enqueued %d charges", len(ids))
    return len(ids)


@shared_task(name="payments.tasks.sync_stale_charges_task")
def sync_stale_charges_task() -> int:
    """Re-read charges that stayed unpaid too long (in case a webhook never arrived)."""
    cutoff = timezone.now() - timedelta(hours=settings.PAYMENT_SYNC_AFTER_HOURS)
    ids = list(
        Appointment.objects.filter(status=PaymentStatus.PROCESSING, updated_at__lt=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:200]
    )
    synced = 0
    for appointment_id in ids:
        try:
            charges.appointment_payment_sync(appointment_id=appointment_id)
            synced += 1
        except AsaasError as error:
            logger.warning("sync failed appointment=%s: %s", appointment_id, type(error).__name__)
    return synced


@shared_task(name="payments.tasks.replay_failed_webhooks_task")
def replay_failed_webhooks_task() -> dict[str, int]:
    return webhooks.webhook_events_replay()


@shared_task(name="payments.tasks.process_webhook_event_task")
def process_webhook_event_task(event_id: int) -> str:
    """Finish a webhook event whose appointment was busy when it arrived (waits for the lock;
    failures are stored as FAILED for the replay)."""
    return webhooks.webhook_event_process(event_id=event_id)
