"""Celery tasks of the appointments app: each takes ids and is safe to run twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from . import lifecycle, reminders

SETTLE_RETRY_SECONDS = 60


@shared_task(bind=True, name="appointments.tasks.booking_cancellation_settle_task", max_retries=20)
def booking_cancellation_settle_task(self: Task[Any, Any], appointment_id: int) -> str:
    """Cancel the charge or refund the payment of a cancelled booking (see lifecycle.py)."""
    outcome = lifecycle.booking_cancellation_settle(appointment_id=appointment_id)
    if outcome == lifecycle.RETRY:
        raise self.retry(countdown=SETTLE_RETRY_SECONDS)
    return outcome


@shared_task(name="appointments.tasks.sweep_unsettled_cancellations_task")
def sweep_unsettled_cancellations_task() -> int:
    """Periodic (beat): settle cancelled bookings whose settle task never ran or gave up."""
    ids = lifecycle.booking_cancellations_unsettled(
        older_than=dt.timedelta(seconds=settings.PAYMENT_SWEEP_AFTER_SECONDS)
    )
    for appointment_id in ids:
        booking_cancellation_settle_task.delay(appointment_id)
    return len(ids)


@shared_task(name="appointments.tasks.send_appointment_reminders_task")
def send_appointment_reminders_task() -> int:
    """Periodic (beat): e-mail the patients whose appointment starts within the next
    ``APPOINTMENT_REMINDER_HOURS``; at most one reminder per appointment."""
    return reminders.appointment_reminders_send()
