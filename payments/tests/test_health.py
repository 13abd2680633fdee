"""/health/ and /health/ready/: liveness, and readiness over real parts (database, cache,
broker, the emulator over HTTP, heartbeats, the webhook backlog)."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.celery import app as celery_app
from core.observability.heartbeats import (
    BEAT_KEY,
    WORKER_KEY,
    heartbeat_age,
    heartbeat_stamp,
    worker_heartbeat_start,
    worker_heartbeat_stop,
)
from core.tasks import beat_heartbeat_task
from payments.models import WebhookEvent, WebhookOutcome

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ready() -> tuple[int, dict[str, Any]]:
    response = Client().get("/health/ready/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: check["status"] for name, check in body["checks"].items()}


@pytest.fixture
def beating() -> None:
    heartbeat_stamp(key=WORKER_KEY)
    beat_heartbeat_task.apply()  # what beat schedules, run as the worker would


def test_liveness_touches_nothing() -> None:
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "environment": "testing"}


def test_all_ready(asaas_settings: Any, beating: None) -> None:
    status, body = ready()
    assert status == 200, body
    assert body["status"] == "ok"
    assert statuses(body) == dict.fromkeys(
        ["database", "cache", "broker", "worker", "beat", "asaas", "webhook_backlog"], "ok"
    )
    assert body["checks"]["database"]["critical"] is True
    assert body["checks"]["asaas"]["critical"] is False


def test_no_worker_or_beat_heartbeat_is_degraded_not_down(asaas_settings: Any) -> None:
    status, body = ready()
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker"] == {
        "status": "error",
        "critical": False,
        "time_ms": body["checks"]["worker"]["time_ms"],
        "detail": "no worker heartbeat",
    }
    assert body["checks"]["beat"]["detail"] == "no beat heartbeat"


def test_a_stale_heartbeat_is_reported_with_its_age(asaas_settings: Any, beating: None) -> None:
    heartbeat_stamp(key=BEAT_KEY, at=time.time() - 1000)
    _, body = ready()
    assert body["checks"]["worker"]["status"] == "ok"
    assert body["checks"]["beat"]["status"] == "error"
    assert body["checks"]["beat"]["detail"].startswith("last beat heartbeat 1000 s ago")


def test_asaas_down_is_degraded(settings: Any, beating: None) -> None:
    settings.ASAAS_API_URL = f"http://127.0.0.1:{closed_port()}/v3"
    settings.ASAAS_API_KEY = "$aact_test"
    status, body = ready()
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["asaas"]["status"] == "error"
    assert body["checks"]["asaas"]["detail"] == "AsaasConnectionError"


def test_asaas_refusing_the_key_is_said_without_the_key(asaas_settings: Any, beating: None) -> None:
    asaas_settings.ASAAS_API_KEY = "$aact_wrong_key_0123456789"
    _, body = ready()
    assert body["checks"]["asaas"]["detail"] == "API key refused"
    assert "wrong_key" not in str(body)


def test_broker_down_is_degraded_not_down(asaas_settings: Any, beating: None) -> None:
    """Bookings are still saved while the broker is down (core/degraded.py): keep serving."""
    previous = celery_app.conf.broker_url
    celery_app.conf["broker_url"] = f"redis://127.0.0.1:{closed_port()}/0"
    try:
        status, body = ready()
    finally:
        celery_app.conf["broker_url"] = previous
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {
        "status": "error",
        "critical": False,
        "time_ms": body["checks"]["broker"]["time_ms"],
        "detail": "OperationalError",
    }
    assert body["checks"]["database"]["status"] == "ok"


def _event(outcome: str, age: timedelta) -> None:
    event = WebhookEvent.objects.create(
        event_id=f"evt_{time.monotonic_ns()}", event_type="PAYMENT_CREATED", payload={}
    )
    WebhookEvent.objects.filter(pk=event.pk).update(
        outcome=outcome, received_at=timezone.now() - age
    )


def test_webhook_backlog(asaas_settings: Any, beating: None) -> None:
    asaas_settings.HEALTH_WEBHOOK_BACKLOG_MAX = 2
    _event(WebhookOutcome.RECEIVED, timedelta(seconds=1))  # just arrived: not backlog
    _event(WebhookOutcome.PROCESSED, timedelta(days=1))
    assert statuses(ready()[1])["webhook_backlog"] == "ok"

    _event(WebhookOutcome.RECEIVED, timedelta(hours=1))
    _event(WebhookOutcome.FAILED, timedelta(hours=1))
    _, body = ready()
    assert body["checks"]["webhook_backlog"]["status"] == "warning"
    assert body["checks"]["webhook_backlog"]["detail"] == "1 stranded and 1 failed events"
    assert body["status"] == "degraded"

    _event(WebhookOutcome.FAILED, timedelta(hours=2))
    status, body = ready()
    assert status == 200  # not critical: requests are still served
    assert body["checks"]["webhook_backlog"]["status"] == "error"


def test_the_worker_heartbeat_thread_stamps_the_cache(settings: Any) -> None:
    settings.HEALTH_HEARTBEAT_SECONDS = 0.05
    cache.delete(WORKER_KEY)
    worker_heartbeat_start()
    try:
        deadline = time.monotonic() + 5
        while heartbeat_age(key=WORKER_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        first = cache.get(WORKER_KEY)
        time.sleep(0.2)
        assert cache.get(WORKER_KEY) > first  # it keeps beating
    finally:
        worker_heartbeat_stop()
    time.sleep(0.1)
    stopped = cache.get(WORKER_KEY)
    time.sleep(0.2)
    assert cache.get(WORKER_KEY) == stopped


def test_beat_schedules_the_heartbeat() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["health-heartbeat"]
    assert entry["task"] == "core.tasks.beat_heartbeat_task"
    assert entry["schedule"] == settings.HEALTH_HEARTBEAT_SECONDS


def test_health_probe_command_for_docker() -> None:
    from django.core.management import CommandError, call_command

    cache.delete(WORKER_KEY)
    with pytest.raises(CommandError, match="no worker heartbeat"):
        call_command("health_probe", "worker")
    heartbeat_stamp(key=BEAT_KEY, at=time.time() - 500)
    with pytest.raises(CommandError, match="beat heartbeat is 500 s old"):
        call_command("health_probe", "beat")
    heartbeat_stamp(key=WORKER_KEY)
    call_command("health_probe", "worker")
