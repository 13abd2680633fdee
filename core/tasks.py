"""Periodic housekeeping of the core app."""

from __future__ import annotations

from celery import shared_task

from core.api.idempotency import idempotency_keys_purge


@shared_task(name="core.tasks.purge_idempotency_keys_task")
def purge_idempotency_keys_task() -> int:
    """Delete ``Idempotency-Key`` records older than ``IDEMPOTENCY_KEY_TTL_HOURS``."""
    return idempotency_keys_purge()
