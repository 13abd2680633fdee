"""Celery tasks of the appointments app: each takes ids and is safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from . import lifecycle, reminders

SETTLE_RETRY_SECONDS = 60


@shared_task(bind=True, name="appointments.tasks.booking_cancellation_settle_task", max_retries=20)
def booking_cancellation_settle_task(self: Task[Any, Any], appointment_id: int) -> str:
    """Cancel the charge or refund the payment of a cancelled booking (see lifecycle.py)."""
    outcome = lifecycle.booking_cancellation_settle(appointment_id=appointment_id)
    if outcome == lifecycle.RETRY:
        raise self.retry(countdown=SETTLE_RETRY_SECONDS)
    return outcome


@shared_task(name="appointments.tasks.send_appointment_reminders_task")
def send_appointment_reminders_task() -> int:
    """Periodic (beat): e-mail the patients whose appointment starts within the next
    ``APPOINTMENT_REMINDER_HOURS``; at most one reminder per appointment."""
    return reminders.appointment_reminders_send()
