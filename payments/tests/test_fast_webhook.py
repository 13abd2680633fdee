"""The webhook's fast path (payments/fast_webhook.py): the whole stack's answer, byte for byte,
the same stored row, and everything but the common case left to the whole stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from conftest import redis_cache_use
from core.api.fastread import OUTCOME_ATTRIBUTE
from core.api.throttling import ScopedRateThrottle
from payments import tasks
from payments.models import WebhookEvent, WebhookOutcome

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

URL = "/api/payments/webhooks/asaas/"
TOKEN = "whk-token-for-fast-tests-0123456789abcdef"
WINDOW = "throttle_asaas_webhook_127.0.0.1:window"


@pytest.fixture(autouse=True)
def _redis_cache(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The production cache: the fast path counts the throttle with ``hit_window``."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN
    settings.FAST_WEBHOOKS = True
    redis_cache_use(settings, monkeypatch, f"fast-webhook-{uuid.uuid4().hex[:6]}")
    yield
    cache.clear()


def body(event_id: str | None = None, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "event": "PAYMENT_UPDATED",
        "dateCreated": "2030-01-01 10:00:00",
        "payment": {
            "id": "pay_fast_0001",
            "status": "PENDING",
            "value": 100.5,
            "customer": "cus_1",
            "description": "Consulta com Dra. Ação \u2028 “aspas”",
        },
    }
    payload.update(changes)
    return payload


def deliver(
    settings: Any, data: Any, *, fast: bool, raw: bytes | None = None, **headers: Any
) -> Any:
    settings.FAST_WEBHOOKS = fast
    meta = {"HTTP_ASAAS_ACCESS_TOKEN": TOKEN, **headers}
    content: Any = raw if raw is not None else json.dumps(data).encode()
    return APIClient().generic("POST", URL, data=content, content_type="application/json", **meta)


def outcome(response: Any) -> str | None:
    return getattr(response.wsgi_request, OUTCOME_ATTRIBUTE, None)


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, headers, response.content


def stored(event_id: str) -> dict[str, Any]:
    row: dict[str, Any] = dict(WebhookEvent.objects.values().get(event_id=event_id))
    for volatile in ("id", "event_id", "received_at", "request_id"):
        row.pop(volatile)
    row["payload"].pop("id")
    return row


def test_a_new_event_is_answered_and_stored_as_the_whole_stack_does(settings: Any) -> None:
    fast_body, whole_body = body(), body()
    fast = deliver(settings, fast_body, fast=True)
    whole = deliver(settings, whole_body, fast=False)
    assert outcome(fast) == "served"
    assert outcome(whole) is None  # the middleware stood aside
    assert answer(fast) == answer(whole)
    assert fast.json() == {"received": True, "duplicate": False, "outcome": "RECEIVED"}
    assert stored(fast_body["id"]) == stored(whole_body["id"])
    event = WebhookEvent.objects.get(event_id=fast_body["id"])
    assert event.outcome == WebhookOutcome.RECEIVED
    assert event.request_id == fast["X-Request-ID"]  # the request's id, as the view stores it
    assert "Ação" not in json.dumps(event.payload)  # scrubbed: no free text kept
    assert cache.get(tasks.WEBHOOK_DRAIN_FLAG) is not None  # its processing was asked for


def test_a_duplicate_is_answered_as_the_whole_stack_answers_it(settings: Any) -> None:
    first = body()
    deliver(settings, first, fast=True)
    WebhookEvent.objects.filter(event_id=first["id"]).update(outcome=WebhookOutcome.IGNORED)
    fast = deliver(settings, first, fast=True)
    whole = deliver(settings, first, fast=False)
    assert outcome(fast) == "served"
    assert answer(fast) == answer(whole)
    assert fast.json() == {"received": True, "duplicate": True, "outcome": "IGNORED"}
    assert WebhookEvent.objects.filter(event_id=first["id"]).count() == 1


@pytest.mark.parametrize(
    ("case", "reason", "status"),
    [
        ("wrong token", "token", 401),
        ("no token", "token", 401),
        ("invalid JSON", "body", 400),
        ("a list", "body", 400),
        ("payment not an object", "body", 400),
        ("no id", "body", 400),
        ("too large", "too large", 413),
        ("browser", "Accept", 200),
    ],
)
def test_anything_else_is_the_whole_stacks_answer(
    settings: Any, case: str, reason: str, status: int
) -> None:
    data: Any = body()
    raw: bytes | None = None
    headers: dict[str, Any] = {}
    if case == "wrong token":
        headers["HTTP_ASAAS_ACCESS_TOKEN"] = TOKEN + "x"
    elif case == "no token":
        headers["HTTP_ASAAS_ACCESS_TOKEN"] = ""
    elif case == "invalid JSON":
        raw = b'{"id": "evt_x", '
    elif case == "a list":
        data = [body()]
    elif case == "payment not an object":
        data = body(payment="pay_1")
    elif case == "no id":
        data = body(id="")
    elif case == "too large":
        data = body(padding="x" * (settings.WEBHOOK_MAX_BYTES + 1))
    elif case == "browser":
        headers["HTTP_ACCEPT"] = "text/html"
    fast = deliver(settings, data, fast=True, raw=raw, **headers)
    if isinstance(data, dict) and case != "too large":
        data = {**data, "id": f"evt_{uuid.uuid4().hex}"} if data["id"] else data
    whole = deliver(settings, data, fast=False, raw=raw, **headers)
    assert outcome(fast) == reason
    assert fast.status_code == status
    if case == "browser":  # the browsable API's page (its CSRF token differs per request)
        assert fast["Content-Type"] == whole["Content-Type"] == "text/html; charset=utf-8"
    else:
        assert answer(fast) == answer(whole)


def test_each_request_counts_one_throttle_hit_served_or_not(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "asaas_webhook", "3/minute")
    hits = []
    for token in (TOKEN, "wrong", TOKEN):
        response = deliver(settings, body(), fast=True, HTTP_ASAAS_ACCESS_TOKEN=token)
        assert response.status_code == (200 if token == TOKEN else 401)
        hits.append(cache.get(WINDOW))
    assert hits == [1, 2, 3]
    refused = deliver(settings, body(), fast=True)
    assert outcome(refused) == "throttled"
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert cache.get(WINDOW) == 4
    assert WebhookEvent.objects.count() == 2  # the refused one was not stored
