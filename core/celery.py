"""The Celery application.

Worker: ``celery -A core worker``; scheduler: ``celery -A core beat``.
"""

from __future__ import annotations

import os

from celery import Celery, signals

from core.observability.request_id import celery_signals_connect
from core.settings import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

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
