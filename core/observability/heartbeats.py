"""Heartbeats of the Celery worker and beat, kept in the cache for the readiness check.

A worker starts a daemon thread (``worker_ready``) that stamps ``health:worker`` every
``HEALTH_HEARTBEAT_SECONDS``; beat schedules ``core.tasks.beat_heartbeat_task`` at the same
interval, and the worker that runs it stamps ``health:beat`` (so beat freshness means "beat
scheduled something recently and it was delivered"). The cache is Redis in production and a
folder shared by the local processes in development.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WORKER_KEY = "health:worker"
BEAT_KEY = "health:beat"


def heartbeat_interval() -> float:
    return float(getattr(settings, "HEALTH_HEARTBEAT_SECONDS", 30.0))


def heartbeat_stamp(*, key: str, at: float | None = None) -> None:
    """Record ``at`` (now by default, epoch seconds) under ``key`` for ten intervals."""
    try:
        cache.set(
            key, time.time() if at is None else at, timeout=max(60, int(heartbeat_interval() * 10))
        )
    except Exception:
        logger.warning("heartbeat not recorded (cache unavailable)", exc_info=True)


def heartbeat_age(*, key: str) -> float | None:
    """Seconds since the last stamp, ``None`` when there is none."""
    stamped = cache.get(key)
    if not isinstance(stamped, int | float):
        return None
    return max(0.0, time.time() - float(stamped))


def _worker_heartbeat_loop(stop: threading.Event) -> None:
    while not stop.is_set():
        heartbeat_stamp(key=WORKER_KEY)
        stop.wait(heartbeat_interval())


_stop = threading.Event()


def worker_heartbeat_start(**kwargs: Any) -> None:
    """``worker_ready`` handler: one heartbeat thread per worker (main) process."""
    _stop.clear()
    threading.Thread(
        target=_worker_heartbeat_loop, args=(_stop,), name="health-heartbeat", daemon=True
    ).start()


def worker_heartbeat_stop(**kwargs: Any) -> None:
    _stop.set()
