"""Degraded, not down: a REAL Redis (its own server on a free port, started here) is the cache
and the broker, then it is killed in the middle of the test.

While it is gone: bookings answer 201 fast (throttling fails open, the charge is not enqueued
but the booking is saved), webhooks answer 200 and are stored, one warning is logged. When it
comes back, the sweeper enqueues the charges of the bookings made during the outage.
The shared Redis of the other tests is never touched.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import kombu.pools
import pytest
import redis
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from appointments.models import Appointment, Patient, PaymentStatus
from core.celery import app as celery_app
from core.degraded import BestEffortDelayTask, FailOpenRedisCache, reset_warnings
from core.tests.factories import ProfessionalFactory
from payments.models import WebhookEvent
from payments.tasks import create_asaas_charge_task, sweep_unsubmitted_charges_task
from professionals.models import IntegrationStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WEBHOOK = "/api/payments/webhooks/asaas/"
OUTAGE_BOOKINGS = 12
# A booking during the outage: one failed publish (connection refused, one quick retry).
MAX_SECONDS_PER_REQUEST = 1.5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """``redis-server`` as a child process: no persistence, so a restart comes back empty."""

    binary: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client(0).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("CI=true but redis-server is not installed")
        pytest.skip("needs the redis-server binary")
    server = RedisServer(binary=binary, port=free_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.kill()


def _use_broker(url: str, options: Any) -> None:
    """Point this process's Celery app at another broker (what Celery does after a fork:
    drop the cached connection and producer pools)."""
    kombu.pools.reset()  # closes and forgets every pool (kombu keeps them per broker URL)
    setattr(celery_app, "_pool", None)  # noqa: B010 - private attributes, untyped
    setattr(celery_app.amqp, "_producer_pool", None)  # noqa: B010
    celery_app.conf.update(broker_url=url, broker_transport_options=options)


@pytest.fixture
def app_on_own_redis(
    own_redis: RedisServer, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedisServer]:
    """This process's cache (as configured for production) and Celery broker on ``own_redis``;
    a user rate of 2 requests a minute, so the throttle would refuse the outage's bookings."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.degraded.FailOpenRedisCache",
            "LOCATION": own_redis.url(1),
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    settings.PAYMENT_SWEEP_AFTER_SECONDS = 0
    previous = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    _use_broker(own_redis.url(0), settings.REDIS_BROKER_TRANSPORT_OPTIONS)
    monkeypatch.setattr(FailOpenRedisCache, "down_until", 0.0)
    monkeypatch.setattr(BestEffortDelayTask, "broker_down_until", 0.0)
    reset_warnings()
    try:
        yield own_redis
    finally:
        _use_broker(*previous)
        reset_warnings()


def queued_charge_ids(server: RedisServer) -> list[int]:
    """Appointment ids of the charge tasks waiting in the broker's ``celery`` list."""
    ids = []
    for raw in server.client(0).lrange("celery", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == create_asaas_charge_task.name
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids.append(int(args[0]))
    return sorted(ids)


def webhook_body(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": "PAYMENT_RECEIVED",
        "payment": {"id": f"pay_{uuid.uuid4().hex[:12]}", "value": 100.0, "status": "RECEIVED"},
    }


def test_bookings_and_webhooks_survive_a_redis_outage_and_the_sweeper_catches_up(
    app_on_own_redis: RedisServer, staff_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = app_on_own_redis
    professional = ProfessionalFactory.create(
        integration_status=IntegrationStatus.ACTIVE, asaas_wallet_id=str(uuid.uuid4())
    )
    patient = Patient.objects.create(
        name="Paciente Teste", cpf="52998224725", email="paciente@example.com"
    )
    client = APIClient()
    client.force_authenticate(user=staff_user)
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)

    def book(index: int) -> Any:
        body = {
            "date": (start + timedelta(hours=index)).isoformat(),
            "professional": professional.pk,
            "patient": patient.pk,
            "total_amount": "100.00",
            "payment_method": "PIX",
        }
        return client.post("/api/appointments/", body, format="json")

    # --- Redis up: a booking is charged through the broker, throttling counts in Redis -------
    first = book(0)
    assert first.status_code == 201, first.content
    assert queued_charge_ids(server) == [first.json()["id"]]
    assert any(b"throttle_user" in key for key in server.client(1).keys("*"))
    second = book(1)
    assert second.status_code == 201
    assert book(2).status_code == 429  # the throttle works while its counters are reachable

    # --- Redis killed ---------------------------------------------------------------------
    server.kill()
    caplog.set_level(logging.WARNING, logger="core.degraded")
    durations, booked = [], []
    for index in range(3, 3 + OUTAGE_BOOKINGS):
        started = time.monotonic()
        response = book(index)
        durations.append(time.monotonic() - started)
        assert response.status_code == 201, response.content
        booked.append(response.json()["id"])
    webhook = client.post(
        WEBHOOK,
        webhook_body("evt_outage_1"),
        format="json",
        headers={"asaas-access-token": "testing-webhook-token-0123456789abcdef"},
    )

    health = client.get("/health/")  # the database only: Redis is not a liveness condition

    assert webhook.status_code == 200, webhook.content
    assert health.status_code == 200
    assert WebhookEvent.objects.filter(event_id="evt_outage_1").exists()
    mean = sum(durations) / len(durations)
    print(f"outage bookings: max {max(durations):.3f} s, mean {mean:.3f} s")
    assert max(durations) < MAX_SECONDS_PER_REQUEST, durations
    saved = Appointment.objects.filter(pk__in=booked)
    assert saved.count() == OUTAGE_BOOKINGS
    assert set(saved.values_list("status", flat=True)) == {PaymentStatus.PENDING}
    assert not saved.exclude(asaas_payment_id=None).exists()
    cache_warnings = [
        r for r in caplog.records if r.name == "core.degraded" and "cache" in r.getMessage()
    ]
    broker_warnings = [
        r for r in caplog.records if r.name == "core.degraded" and "broker" in r.getMessage()
    ]
    assert len(cache_warnings) == 1, [r.getMessage() for r in cache_warnings]
    assert len(broker_warnings) == 1, [r.getMessage() for r in broker_warnings]
    assert {r.levelno for r in cache_warnings + broker_warnings} == {logging.WARNING}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # --- Redis back (empty: the message queued before the crash is lost too) ---------------
    server.start()
    BestEffortDelayTask.broker_down_until = 0.0  # or wait RETRY_AFTER_SECONDS
    assert queued_charge_ids(server) == []
    swept = sweep_unsubmitted_charges_task()

    pending = [first.json()["id"], second.json()["id"], *booked]
    assert swept == len(pending)
    assert queued_charge_ids(server) == sorted(pending)


def test_a_hung_redis_costs_a_bounded_wait_not_a_hung_request(
    app_on_own_redis: RedisServer, staff_user: Any
) -> None:
    """SIGSTOP: connections are accepted by the kernel but never answered — the worst case
    for timeouts. Bookings still answer 201 within the configured socket timeouts."""
    server = app_on_own_redis
    professional = ProfessionalFactory.create(
        integration_status=IntegrationStatus.ACTIVE, asaas_wallet_id=str(uuid.uuid4())
    )
    patient = Patient.objects.create(name="Paciente Teste", cpf="52998224725")
    client = APIClient()
    client.force_authenticate(user=staff_user)
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)
    durations = []
    try:
        for index in range(3):
            started = time.monotonic()
            response = client.post(
                "/api/appointments/",
                {
                    "date": (start + timedelta(hours=index)).isoformat(),
                    "professional": professional.pk,
                    "patient": patient.pk,
                    "total_amount": str(Decimal("80.00")),
                },
                format="json",
            )
            durations.append(time.monotonic() - started)
            assert response.status_code == 201, response.content
    finally:
        server.process.send_signal(signal.SIGCONT)

    print("hung-Redis bookings (s):", [round(d, 2) for d in durations])
    # The first request pays the timeouts (cache 0.5 s, broker 2 s socket timeout); then
    # both are skipped for RETRY_AFTER_SECONDS.
    assert durations[0] < 8.0, durations
    assert max(durations[1:]) < 0.5, durations
    assert Appointment.objects.filter(professional=professional).count() == 3
