"""Degraded, not down: a REAL Redis (its own server on a free port, started here) is the cache
and the broker, then it is killed in the middle of the test.

While it is gone: bookings answer 201 fast (throttling fails open, the charge is not enqueued
but the booking is saved), webhooks answer 200 and are stored, one warning is logged. When it
comes back, the sweeper enqueues the charges of the bookings made during the outage.
The shared Redis of the other tests is never touched.
"""

from __future__ import annotations

import logging
import signal
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from core.degraded import BestEffortDelayTask
from core.tests import redis_server
from core.tests.factories import ProfessionalFactory
from core.tests.redis_server import RedisServer, queued_charge_ids
from payments.models import WebhookEvent
from payments.tasks import sweep_unsubmitted_charges_task
from professionals.models import IntegrationStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
own_redis = redis_server.own_redis
app_on_own_redis = redis_server.app_on_own_redis

WEBHOOK = "/api/payments/webhooks/asaas/"
OUTAGE_BOOKINGS = 12
# A booking during the outage: one failed publish (connection refused, one quick retry).
MAX_SECONDS_PER_REQUEST = 1.5


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
