"""Core Celery tasks: periodic housekeeping and the beat heartbeat."""

from __future__ import annotations

from celery import shared_task

from core.api.idempotency import idempotency_keys_purge
from core.observability.heartbeats import BEAT_KEY, heartbeat_stamp


@shared_task(name="core.tasks.purge_idempotency_keys_task")
def purge_idempotency_keys_task() -> int:
    """Delete ``Idempotency-Key`` records older than ``IDEMPOTENCY_KEY_TTL_HOURS``."""
    return idempotency_keys_purge()


@shared_task(ignore_result=True)
def beat_heartbeat_task() -> None:
    """Scheduled by beat every HEALTH_HEARTBEAT_SECONDS: proves beat is scheduling."""
    heartbeat_stamp(key=BEAT_KEY)
