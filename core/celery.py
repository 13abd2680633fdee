"""The Celery application.

Worker: ``celery -A core worker``; scheduler: ``celery -A core beat``.
"""

from __future__ import annotations

import os
from queue import Empty
from typing import Any

from celery import Celery, signals
from kombu.transport import redis as kombu_redis

from core.observability.request_id import celery_signals_connect
from core.settings import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())


def _close_redis_channel_after_lost_brpop_reply() -> None:
    """Workaround: a Redis outage must not end the worker (kombu 5.7.0 + celery 5.7.0).

    When the broker connection dies, the consumer calls ``connection.collect()`` and then
    ``connection.close()`` (celery/worker/consumer/consumer.py,
    ``on_connection_error_after_connected``). kombu's Redis ``Channel.close()`` first reads the
    reply of the BRPOP still in flight (``_brpop_read``); with Redis gone that raises
    ``ConnectionError`` *before* the channel is marked closed, so ``collect()`` leaves it half
    closed and then sets ``transport.client = None``. The following ``close()`` closes the same
    default channel again: restoring its unacknowledged messages (countdown/ETA tasks, prefetched
    or acks_late ones) builds a new pool from ``_connparams()``, which reads
    ``self.connection.client.hostname`` -> ``AttributeError: 'NoneType' object has no attribute
    'hostname'``. That is no connection error, so it escapes and the worker exits
    ("Unrecoverable error").

    Here the lost BRPOP reply is ignored like an empty one, so the first ``close()`` runs to the
    end while the transport is still there (the restore then fails with ``ConnectionError``,
    which kombu ignores; the messages stay in Redis' unacked hash for ``restore_visible``).
    Same upstream code path as celery/kombu#582 and #1733. Drop this once kombu's
    ``Channel.close`` survives a failing ``_brpop_read``.
    """
    close = kombu_redis.Channel.close
    if getattr(close, "_survives_lost_brpop_reply", False):
        return

    def close_after_lost_brpop_reply(self: Any) -> None:
        if self._in_poll:
            try:
                self._brpop_read()  # clears _in_poll even when it raises
            except (Empty, *self.connection_errors):
                pass
        close(self)

    close_after_lost_brpop_reply._survives_lost_brpop_reply = True  # type: ignore[attr-defined]
    kombu_redis.Channel.close = close_after_lost_brpop_reply  # type: ignore[method-assign]


_close_redis_channel_after_lost_brpop_reply()

# delay() is best effort: a broker outage is logged, not raised (see core/degraded.py).
app = Celery("core", task_cls="core.degraded:BestEffortDelayTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **kwargs: object) -> None:
    """The filesystem transport and beat's schedule file need their folders to exist."""
    options = sender.conf.broker_transport_options or {}
    folders = [options.get(key) for key in ("data_folder_in", "data_folder_out", "control_folder")]
    schedule = sender.conf.beat_schedule_filename
    folders.append(os.path.dirname(schedule) if schedule else None)
    for folder in folders:
        if folder:
            os.makedirs(folder, exist_ok=True)


@signals.setup_logging.connect
def _use_django_logging(**kwargs: object) -> None:
    """Workers and beat log through Django's LOGGING (same format, request ids), and Celery
    adds no handler of its own (which printed every line twice)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


celery_signals_connect()


@signals.worker_ready.connect
def _start_heartbeat(**kwargs: object) -> None:
    from core.observability.heartbeats import worker_heartbeat_start

    worker_heartbeat_start()


@signals.worker_shutdown.connect
def _stop_heartbeat(**kwargs: object) -> None:
    from core.observability.heartbeats import worker_heartbeat_stop

    worker_heartbeat_stop()
