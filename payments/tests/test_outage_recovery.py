"""After a Redis outage, the bookings saved while it was down get charged: a private Redis is
killed, bookings are made through the API, Redis comes back, the sweeper runs and a real
``celery worker`` (on that Redis and the test database) creates the charges at the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from core.degraded import BestEffortDelayTask
from core.tests import redis_server
from core.tests.processes import process_stop
from core.tests.redis_server import RedisServer, queued_charge_ids
from payments.emulator import EmulatorServer
from payments.services.charges import appointment_external_reference
from payments.tasks import sweep_unsubmitted_charges_task
from professionals.models import Professional

from .conftest import EmulatorControl

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("asaas_settings"),
]
own_redis = redis_server.own_redis
app_on_own_redis = redis_server.app_on_own_redis

ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 5


def _database_url() -> str:
    settings = connection.settings_dict
    user = quote(str(settings.get("USER") or ""), safe="")
    password = quote(str(settings.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(str(settings['NAME']), safe='')}"


def wait_for(probe: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_bookings_saved_during_the_outage_are_charged_once_redis_is_back(
    app_on_own_redis: RedisServer,
    staff_client: APIClient,
    make_professional: Callable[..., Professional],
    patient: Patient,
    emulator: EmulatorServer,
    emulator_control: EmulatorControl,
) -> None:
    server = app_on_own_redis
    professional = make_professional()
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=20)

    server.kill()
    booked = []
    for index in range(BOOKINGS):
        response = staff_client.post(
            "/api/appointments/",
            {
                "date": (start + timedelta(hours=index)).isoformat(),
                "professional": professional.pk,
                "patient": patient.pk,
                "total_amount": "150.00",
                "payment_method": "PIX",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        booked.append(response.json()["id"])
    assert emulator_control.payments() == []

    server.start()
    BestEffortDelayTask.broker_down_until = 0.0  # or wait RETRY_AFTER_SECONDS
    assert sweep_unsubmitted_charges_task() == BOOKINGS
    assert queued_charge_ids(server) == sorted(booked)

    log = Path(tempfile.mkstemp(prefix="outage-worker-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.testing",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": server.url(0),
        "ASAAS_API_URL": f"{emulator.url}/v3",
        "ASAAS_API_KEY": emulator.api_key,
        "ASAAS_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
    }
    name = f"outage-{uuid.uuid4().hex[:8]}@localhost"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "core",
                "worker",
                "--pool",
                "solo",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def all_charged() -> bool:
            if worker.poll() is not None:
                pytest.fail(f"the worker exited:\n{log.read_text()[-5000:]}")
            appointments = Appointment.objects.filter(pk__in=booked)
            return all(a.asaas_payment_id for a in appointments)

        wait_for(all_charged, timeout=60, what="the worker to create the charges")
    finally:
        process_stop(worker, timeout=15)
        log.unlink(missing_ok=True)

    appointments = list(Appointment.objects.filter(pk__in=booked).order_by("pk"))
    assert {a.status for a in appointments} == {PaymentStatus.PROCESSING}
    charges = {p["externalReference"]: p for p in emulator_control.payments()}
    assert len(charges) == BOOKINGS  # one charge per booking, none twice
    for appointment in appointments:
        charge = charges[appointment_external_reference(appointment)]
        assert charge["id"] == appointment.asaas_payment_id
        assert Decimal(str(charge["value"])) == Decimal("150.00")
