"""Webhook events processed by a coalesced drain (``payments.tasks.webhook_processing_request``):
with the shared Redis cache, a stream of webhooks publishes one drain task, which processes
every RECEIVED event; the real Redis cache and the real Redis broker queue (messages counted
in it), the task run as the worker runs it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from appointments.models import Appointment, PaymentStatus
from conftest import redis_cache_use
from core.celery import app as celery_app
from core.degraded import BestEffortDelayTask
from payments import tasks
from payments.models import WebhookEvent, WebhookOutcome
from payments.services import webhooks

from .test_webhooks import URL, at_status, event_body

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TOKEN = "whk-token-for-drain-tests-0123456789abcdef"
DRAIN = "payments.tasks.drain_webhook_events_task"
PER_EVENT = "payments.tasks.process_webhook_event_task"


@pytest.fixture(autouse=True)
def _shared_cache(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The production cache (a flag every process sees) and the Redis broker."""
    if not str(django_settings.CELERY_BROKER_URL).startswith("redis"):
        pytest.skip("needs the Redis broker (set REDIS_URL)")
    monkeypatch.setattr(BestEffortDelayTask, "broker_down_until", 0.0)
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN
    redis_cache_use(settings, monkeypatch, f"drain-test-{uuid.uuid4().hex[:6]}")
    celery_app.control.purge()
    yield
    celery_app.control.purge()
    cache.clear()


def published(*, webhook_only: bool = True) -> list[str]:
    """The task names waiting in the broker's default queue (those that process webhook
    events, or all of them), oldest first."""
    client = redis.Redis.from_url(str(django_settings.CELERY_BROKER_URL))
    names = [json.loads(raw)["headers"]["task"] for raw in reversed(client.lrange("celery", 0, -1))]
    return [name for name in names if not webhook_only or name in {DRAIN, PER_EVENT}]


def deliver(body: dict[str, Any]) -> dict[str, Any]:
    response = APIClient().generic(
        "POST",
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ASAAS_ACCESS_TOKEN=TOKEN,
    )
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def unknown_event() -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": "PAYMENT_UPDATED",
        "payment": {"id": f"pay_unknown_{uuid.uuid4().hex[:8]}", "status": "PENDING"},
    }


def flag_is_up() -> bool:
    return cache.get(tasks.WEBHOOK_DRAIN_FLAG) is not None


def test_a_stream_of_webhooks_publishes_one_drain_that_processes_them_all(
    appointment: Appointment,
) -> None:
    at_status(appointment, PaymentStatus.PENDING)
    celery_app.control.purge()  # the booking's own charge task
    bodies = [unknown_event() for _ in range(4)] + [event_body(appointment, "PAYMENT_RECEIVED")]
    for body in bodies:
        assert deliver(body)["outcome"] == WebhookOutcome.RECEIVED
    # Stored (committed) before each answer; one drain message for the five, flag up.
    assert WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).count() == 5
    assert published() == [DRAIN]
    assert flag_is_up()

    counts = tasks.drain_webhook_events_task()  # as the worker runs it

    assert sum(counts.values()) == 5
    assert not WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).exists()
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PAID  # the money event applied by the drain
    assert not flag_is_up()
    assert "payments.tasks.appointment_notify_task" in published(webhook_only=False)
    # The next event finds no drain pending: it publishes one.
    deliver(unknown_event())
    assert published() == [DRAIN, DRAIN]


def test_an_event_stored_while_a_drain_runs_gets_a_drain_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The drain lowers the flag before it reads: an event that comes after that moment
    raises it again and publishes, so no event waits for the replay."""
    deliver(unknown_event())
    assert published() == [DRAIN]
    real_drain = webhooks.webhook_events_drain
    late: list[dict[str, Any]] = []

    def drain_with_a_late_arrival(**kwargs: Any) -> Any:
        result = real_drain(**kwargs)
        late.append(deliver(unknown_event()))  # arrives after the read, before the task ends
        return result

    monkeypatch.setattr(webhooks, "webhook_events_drain", drain_with_a_late_arrival)
    tasks.drain_webhook_events_task()
    monkeypatch.undo()
    assert late
    assert published() == [DRAIN, DRAIN]
    assert WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).count() == 1
    tasks.drain_webhook_events_task()
    assert not WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).exists()


def test_a_drain_hands_over_past_its_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "WEBHOOK_DRAIN_BATCH", 3)
    for _ in range(7):
        deliver(unknown_event())
    assert published() == [DRAIN]
    celery_app.control.purge()
    rounds = 0
    while WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).exists():
        assert sum(tasks.drain_webhook_events_task().values()) <= 3
        rounds += 1
        assert rounds <= 3
    assert rounds == 3
    # Rounds 1 and 2 saw more waiting and handed over; round 3 did not.
    assert published() == [DRAIN, DRAIN]


def test_with_the_broker_down_the_flag_is_lowered_so_the_next_event_asks_again() -> None:
    BestEffortDelayTask.broker_down_until = float("inf")  # delay() returns None, as in an outage
    try:
        deliver(unknown_event())
    finally:
        BestEffortDelayTask.broker_down_until = 0.0
    assert published() == []
    assert not flag_is_up()  # not stuck up for WEBHOOK_DRAIN_FLAG_SECONDS
    deliver(unknown_event())
    assert published() == [DRAIN]
    assert sum(tasks.drain_webhook_events_task().values()) == 2


def test_without_a_shared_cache_each_event_has_its_own_task(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    body = unknown_event()
    deliver(body)
    deliver(unknown_event())
    assert published() == [PER_EVENT, PER_EVENT]
    event = WebhookEvent.objects.get(event_id=body["id"])
    assert tasks.process_webhook_event_task(event.pk) != WebhookOutcome.RECEIVED
