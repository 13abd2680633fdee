"""End-to-end harness: the real payment path, every piece in its own process or thread.

* PostgreSQL (the test database) and Redis (the Celery broker) must be running;
* the Asaas emulator runs as a subprocess (``python -m payments.emulator``) on a free port,
  its webhooks pointed at the live server;
* the Django app is served by pytest-django's ``live_server`` (a threaded HTTP server on the
  test database), so the emulator's webhooks reach the real view;
* a real ``celery worker`` subprocess consumes the queue, on the same test database and Redis.

The emulator and the worker start once per module; every test resets the emulator (state,
faults, webhook log and token) and purges the queue. On failure the worker's and the
emulator's logs of that test are attached to the report.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlparse

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from validate_docbr import CPF

from appointments.models import Appointment
from core.celery import app as celery_app
from core.tests.processes import process_stop
from professionals.models import Professional

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[3]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WEBHOOK_PATH = "/api/payments/webhooks/asaas/"
API_KEY = "$aact_hmlg_emulator_root_key"
WEBHOOK_TOKEN = "e2e-webhook-token-0123456789abcdef"
CONTROL_TOKEN = "e2e-emulator-control-token-0123456789abcdef"
# The worker's read timeout towards Asaas: short, so a hanging emulator costs little time.
WORKER_ASAAS_TIMEOUT = 2.0
DEFAULT_WAIT = 20.0
LOG_KEY = pytest.StashKey[list[tuple[str, Path, int]]]()


# --- helpers ---------------------------------------------------------------------------------


def wait_until(
    probe: Callable[[], T | None], *, timeout: float = DEFAULT_WAIT, message: str = ""
) -> T:
    """Poll ``probe`` every 0.1 s until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {message or probe}: last={last!r}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def require_services() -> str:
    """The Redis URL; skip (fail under CI=true) when PostgreSQL or Redis is missing.

    Same rule as the markers in the root conftest, checked here too because module-scoped
    fixtures start before any function-scoped check could stop them.
    """
    missing = []
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or not _redis_answers(redis_url):
        missing.append("Redis (set REDIS_URL to a running server)")
    if missing:
        reason = "end-to-end tests need " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return redis_url


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``postgres://`` URL for the database Django is connected to (the test database)."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


def _tail(path: Path, offset: int = 0, limit: int = 20_000) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    return text[-limit:]


# --- the emulator ----------------------------------------------------------------------------


@dataclass
class Emulator:
    url: str
    log: Path
    process: subprocess.Popen[bytes]
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def api_url(self) -> str:
        return f"{self.url}/v3"

    def control(self, method: str, path: str, **body: Any) -> Any:
        response = self.http.request(
            method,
            f"{self.url}/_emulator/{path}",
            json=body or None,
            headers={"X-Emulator-Control-Token": CONTROL_TOKEN},
            timeout=15,
        )
        response.raise_for_status()
        return response.json()

    def reset(self, *, webhook_url: str) -> None:
        self.control("POST", "reset")
        self.control(
            "POST",
            "config",
            webhook_url=webhook_url,
            webhook_token=WEBHOOK_TOKEN,
            webhook_retry_scale=0.001,
            webhook_send_type="SEQUENTIALLY",
        )
        self.control("POST", "webhooks/resume")

    def faults(self, **switches: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "faults", **switches)
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("GET", "state")
        return result

    def payments(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.state()["payments"]
        return result

    def webhooks(self, wait_idle: float | None = None) -> dict[str, Any]:
        query = f"?wait_idle={wait_idle}" if wait_idle is not None else ""
        result: dict[str, Any] = self.control("GET", f"webhooks{query}")
        return result

    def flush(self, timeout: float = 10.0) -> None:
        result = self.control("POST", "webhooks/flush", timeout=timeout)
        assert result["idle"], f"webhook queue not idle: {result}"

    def confirm(self, payment_id: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.api_url}/sandbox/payment/{payment_id}/confirm",
            headers={"access_token": API_KEY},
            timeout=15,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture(scope="module")
def emulator(django_db_setup: None, live_server: LiveServer) -> Iterator[Emulator]:
    # The database first, so the live server (and its connections) is gone before it is dropped.
    require_services()
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="e2e-emulator-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "payments.emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--api-key",
                API_KEY,
                "--webhook-url",
                live_server.url + WEBHOOK_PATH,
                "--webhook-token",
                WEBHOOK_TOKEN,
                "--control-token",
                CONTROL_TOKEN,
                "--opening-balance",  # refunds need balance at Asaas (fees are kept)
                "10000",
                "--webhook-retry-scale",
                "0.001",
                "--webhook-timeout",
                "15",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Emulator(url=f"http://127.0.0.1:{port}", log=log, process=process)

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the emulator exited ({process.returncode}):\n{_tail(log)}")
        try:
            return server.http.get(f"{server.url}/_emulator/health", timeout=1).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(healthy, timeout=15, message="the emulator's health check")
        yield server
    finally:
        process_stop(process)
        server.http.close()
        log.unlink(missing_ok=True)


# --- the Celery worker -----------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self, offset: int = 0) -> str:
        return _tail(self.log, offset, limit=1_000_000)


def purge_queue() -> None:
    celery_app.control.purge()


@pytest.fixture(scope="module")
def celery_worker(
    django_db_setup: None, emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    redis_url = require_services()
    assert redis_url == django_settings.CELERY_BROKER_URL, "the test process must publish to Redis"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.testing",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "ASAAS_API_URL": emulator.api_url,
        "ASAAS_API_KEY": API_KEY,
        "ASAAS_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "ASAAS_TIMEOUT": str(WORKER_ASAAS_TIMEOUT),
        "PAYMENT_RETRY_BACKOFF_SECONDS": "1",
        "PAYMENT_SWEEP_AFTER_SECONDS": "0",
        "CELERY_QUEUE_DIR": str(tmp_path_factory.mktemp("celery")),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    name = f"e2e-{uuid.uuid4().hex[:8]}@localhost"
    purge_queue()
    log = Path(tempfile.mkstemp(prefix="e2e-worker-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "core",
                "worker",
                "--pool",
                "solo",
                "-Q",
                "celery",
                "-n",
                name,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(name=name, log=log, process=process)

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{_tail(log)}")
        return bool(celery_app.control.ping(destination=[name], timeout=0.5))

    try:
        wait_until(answers, timeout=30, message="the worker to answer inspect ping")
        yield worker
    finally:
        purge_queue()
        process_stop(process)
        log.unlink(missing_ok=True)


# --- one test's view of the stack ------------------------------------------------------------


@dataclass
class Stack:
    """What a test talks to: the live app over HTTP, the emulator and the worker."""

    base_url: str
    emulator: Emulator
    worker: Worker
    worker_log_offset: int
    http: requests.Session = field(default_factory=requests.Session)
    _slot: int = 0

    # HTTP to the live app
    def login_as_staff(self) -> None:
        """Authenticate like a real client: a staff user, a JWT from the token endpoint."""
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_user(
            username="operadora-e2e",
            password="senha-e2e-forte-123",
            is_staff=True,
            is_superuser=True,
        )
        tokens = self.api(
            "POST",
            "auth/token/",
            json={"username": "operadora-e2e", "password": "senha-e2e-forte-123"},
        )
        self.http.headers["Authorization"] = f"Bearer {tokens['access']}"

    def api(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}/api/{path}", timeout=30, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def post_webhook(self, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base_url}{WEBHOOK_PATH}", json=body, headers=headers or {}, timeout=15
        )

    # the worker
    def worker_log(self) -> str:
        return self.worker.log_text(self.worker_log_offset)

    # data
    def create_professional(self, **overrides: Any) -> Professional:
        """An onboarded professional: POST through the API, wait for the worker's wallet."""
        body = {
            "preferred_name": "Dra. Ana Silva",
            "profession": "Psicóloga",
            "address": "Rua das Flores, 123 - São Paulo, SP",
            "contact": "ana.silva@email.com / (11) 98765-4321",
            "email": f"ana-{uuid.uuid4().hex[:10]}@example.com",
            "phone": "11987654321",
            "cpf_cnpj": CPF().generate(),
            "income_value": "15000.00",
            "address_number": "123",
            "province": "Centro",
            "postal_code": "01310100",
            **overrides,
        }
        created = self.api("POST", "professionals/", 201, json=body)
        return self.wait_professional(created["id"], "ACTIVE")

    def wait_professional(self, pk: int, status: str) -> Professional:
        def probe() -> Professional | None:
            professional = Professional.objects.get(pk=pk)
            return professional if professional.integration_status == status else None

        return wait_until(probe, message=f"professional {pk} to become {status}")

    def create_patient(self) -> dict[str, Any]:
        body = {
            "name": "João Pereira",
            "cpf": CPF().generate(),
            "email": f"joao-{uuid.uuid4().hex[:10]}@example.com",
            "phone": "11912345678",
        }
        result: dict[str, Any] = self.api("POST", "patients/", 201, json=body)
        return result

    def next_slot(self) -> datetime:
        """Distinct future start times, so appointments never overlap."""
        self._slot += 1
        start = timezone.localtime() + timedelta(days=7)
        return start.replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
            hours=self._slot
        )

    def create_appointment(
        self, professional: Professional, patient: dict[str, Any], amount: str = "100.00"
    ) -> dict[str, Any]:
        body = {
            "date": self.next_slot().isoformat(),
            "professional": professional.pk,
            "patient": patient["id"],
            "total_amount": amount,
            "payment_method": "PIX",
            "due_date": date.today().isoformat(),
        }
        result: dict[str, Any] = self.api("POST", "appointments/", 201, json=body)
        return result

    def wait_status(self, pk: int, status: str, timeout: float = DEFAULT_WAIT) -> Appointment:
        def probe() -> Appointment | None:
            appointment = Appointment.objects.get(pk=pk)
            return appointment if appointment.status == status else None

        return wait_until(
            probe,
            timeout=timeout,
            message=f"appointment {pk} to become {status} "
            f"(now {Appointment.objects.get(pk=pk).status})",
        )

    def charged(self, pk: int) -> tuple[Appointment, dict[str, Any]]:
        """Wait for the worker to create the charge; the appointment and the emulator's charge."""
        appointment = self.wait_status(pk, "PROCESSING")
        matches = [p for p in self.emulator.payments() if p["id"] == appointment.asaas_payment_id]
        assert len(matches) == 1, matches
        return appointment, matches[0]

    def paid(self, professional: Professional, patient: dict[str, Any]) -> Appointment:
        """A full PAID flow: appointment → charge → sandbox confirm → webhook → PAID."""
        created = self.create_appointment(professional, patient)
        appointment, payment = self.charged(created["id"])
        self.emulator.confirm(payment["id"])
        return self.wait_status(appointment.pk, "PAID")


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.when in {"setup", "call"}:
        for title, path, offset in item.stash.get(LOG_KEY, []):
            if path.exists():
                report.sections.append((title, _tail(path, offset)))
    return report


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    live_server: LiveServer,
    transactional_db: None,
    emulator: Emulator,
    celery_worker: Worker,
    settings: Settings,
) -> Iterator[Stack]:
    """The web side (this process) configured like the worker, a clean emulator and queue."""
    settings.ASAAS_API_URL = emulator.api_url
    settings.ASAAS_API_KEY = API_KEY
    settings.ASAAS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    settings.ASAAS_TIMEOUT = WORKER_ASAAS_TIMEOUT
    emulator.reset(webhook_url=live_server.url + WEBHOOK_PATH)
    purge_queue()
    offset = celery_worker.log.stat().st_size
    request.node.stash[LOG_KEY] = [
        ("worker log (this test)", celery_worker.log, offset),
        ("emulator log (this test)", emulator.log, emulator.log.stat().st_size),
    ]
    current = Stack(
        base_url=live_server.url,
        emulator=emulator,
        worker=celery_worker,
        worker_log_offset=offset,
    )
    current.login_as_staff()
    yield current
    # Let in-flight webhooks land before the database is flushed; stop stray retries.
    emulator.control("POST", "webhooks/flush", timeout=5)
    emulator.faults(hang_after_create_seconds=0, error_rate=0, fail_next=0)
    purge_queue()
    current.http.close()
