"""Core Celery tasks."""

from __future__ import annotations

from celery import shared_task

from core.observability.heartbeats import BEAT_KEY, heartbeat_stamp


@shared_task(ignore_result=True)
def beat_heartbeat_task() -> None:
    """Scheduled by beat every HEALTH_HEARTBEAT_SECONDS: proves beat is scheduling."""
    heartbeat_stamp(key=BEAT_KEY)
