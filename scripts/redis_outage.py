"""Measure the API under a Redis outage, the way an operator would see it.

Starts its own ``redis-server`` (free port, no persistence) and a throwaway PostgreSQL database,
serves the code in ``--code-dir`` with gunicorn (development settings, DEBUG off, Redis as cache
and broker), books a few charged appointments, kills Redis, books ``--bookings`` more spaced by
``--interval`` seconds and posts ``--webhooks`` webhooks, brings Redis back, runs the sweeper and
counts the charges queued. Prints the figures as JSON. Nothing else is touched (the shared Redis
and the other databases included).

    .venv/bin/python scripts/redis_outage.py [--code-dir .] [--bookings 60] [--interval 0.5]

PostgreSQL must accept ``postgres`` without a password on ``--pg-host`` (as in CI).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import redis
import requests

BIN = Path(sys.executable).parent
WEBHOOK_TOKEN = "outage-webhook-token-0123456789abcdef"  # noqa: S105 - a throwaway database
USER, PASSWORD = "medidor", "senha-do-medidor-forte-123"
SETUP = """
import uuid
from django.contrib.auth import get_user_model
from appointments.models import Patient
from professionals.models import IntegrationStatus, Professional
get_user_model().objects.create_superuser({user!r}, "medidor@example.com", {password!r})
professional = Professional.objects.create(
    preferred_name="Dra. Medida", profession="Psicóloga", address="Rua A, 1",
    contact="medida@example.com", integration_status=IntegrationStatus.ACTIVE,
    asaas_wallet_id=str(uuid.uuid4()),
)
patient = Patient.objects.create(name="Paciente Medido", cpf="52998224725")
print(professional.pk, patient.pk)
"""
SWEEP = "from payments.tasks import sweep_unsubmitted_charges_task as s; print(s())"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen[bytes]:
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--daemonize", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    for _ in range(200):
        with suppress(redis.ConnectionError):
            if redis.Redis(port=port).ping():
                return process
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def psql(host: str, sql: str, database: str = "postgres") -> str:
    result = subprocess.run(  # noqa: S603
        ["psql", "-h", host, "-U", "postgres", "-d", database, "-qtAc", sql],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


@contextmanager
def stopped_on_exit(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()


def summary(rows: list[tuple[int, float]]) -> dict[str, Any]:
    codes: dict[str, int] = {}
    for code, _seconds in rows:
        codes[str(code)] = codes.get(str(code), 0) + 1
    seconds = [duration for _code, duration in rows]
    return {
        "status": codes,
        "max_s": round(max(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    code_dir = Path(args.code_dir).resolve()
    redis_port, web_port = free_port(), free_port()
    database = f"redis_outage_{uuid.uuid4().hex[:8]}"
    psql(args.pg_host, f"CREATE DATABASE {database}")
    workdir = Path(tempfile.mkdtemp(prefix="redis-outage-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.development",
        "DEBUG": "False",
        "DATABASE_URL": f"postgres://postgres@{args.pg_host}:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MEDICAL_API_DB_NOTICE_SHOWN": "1",
        "ASAAS_API_URL": "http://127.0.0.1:9/v3",  # booking never calls Asaas
        "ASAAS_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "PAYMENT_SWEEP_AFTER_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE_DIR": str(workdir / "celery"),
    }
    python = [str(BIN / "python"), "manage.py"]
    redis_server = start_redis(redis_port)
    try:
        subprocess.run([*python, "migrate", "-v", "0"], cwd=code_dir, env=env, check=True)  # noqa: S603
        setup = SETUP.format(user=USER, password=PASSWORD)
        created = subprocess.run(  # noqa: S603
            [*python, "shell", "-c", setup],
            cwd=code_dir,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        professional, patient = int(created[-2]), int(created[-1])
        log = workdir / "gunicorn.log"
        with log.open("wb") as out:
            command = [str(BIN / "gunicorn"), "core.wsgi:application", "--workers", "2"]
            command += ["--bind", f"127.0.0.1:{web_port}", "--timeout", "60"]
            web = subprocess.Popen(  # noqa: S603
                command,
                cwd=code_dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        with stopped_on_exit(web):
            base = f"http://127.0.0.1:{web_port}"
            for _ in range(300):
                with suppress(requests.RequestException):
                    if requests.get(f"{base}/health/", timeout=5).ok:
                        break
                time.sleep(0.2)
            http = requests.Session()
            tokens = http.post(
                f"{base}/api/auth/token/", json={"username": USER, "password": PASSWORD}
            ).json()
            http.headers["Authorization"] = f"Bearer {tokens['access']}"
            slots = iter(range(10_000))

            def book() -> tuple[int, float]:
                slot = next(slots)
                body = {
                    "date": f"2031-{1 + slot // 28:02d}-{1 + slot % 28:02d}T10:00:00-03:00",
                    "professional": professional,
                    "patient": patient,
                    "total_amount": "100.00",
                    "payment_method": "PIX",
                }
                started = time.monotonic()
                response = http.post(f"{base}/api/appointments/", json=body, timeout=60)
                return response.status_code, time.monotonic() - started

            def webhook() -> tuple[int, float]:
                body = {
                    "id": f"evt_{uuid.uuid4().hex}",
                    "event": "PAYMENT_RECEIVED",
                    "payment": {"id": f"pay_{uuid.uuid4().hex[:12]}", "value": 1.0},
                }
                started = time.monotonic()
                response = requests.post(
                    f"{base}/api/payments/webhooks/asaas/",
                    json=body,
                    headers={"asaas-access-token": WEBHOOK_TOKEN},
                    timeout=60,
                )
                return response.status_code, time.monotonic() - started

            before = [book() for _ in range(5)]
            redis_server.kill()
            redis_server.wait()
            outage_started = time.monotonic()
            during = []
            for index in range(args.bookings):
                during.append(book())
                pause = outage_started + args.interval * (index + 1) - time.monotonic()
                time.sleep(max(0.0, pause))
            hooks = [webhook() for _ in range(args.webhooks)]
            outage = time.monotonic() - outage_started
            redis_server = start_redis(redis_port)
            sweep = subprocess.run(  # noqa: S603
                [*python, "shell", "-c", SWEEP],
                cwd=code_dir,
                env=env,
                capture_output=True,
                text=True,
            )
            queued = int(redis.Redis(port=redis_port).llen("celery"))
        warnings = [line for line in log.read_text().splitlines() if "unavailable" in line.lower()]
        saved = psql(args.pg_host, "SELECT count(*) FROM appointments_appointment", database)
        return {
            "code_dir": str(code_dir),
            "bookings_before_outage": summary(before),
            "bookings_during_outage": summary(during),
            "webhooks_during_outage": summary(hooks),
            "outage_seconds": round(outage, 1),
            "appointments_saved": int(saved),
            "degraded_warnings_logged": len(warnings),
            "sweeper_returned": (sweep.stdout.strip().splitlines() or ["?"])[-1],
            "charges_queued_after_sweep": queued,
        }
    finally:
        redis_server.kill()
        redis_server.wait()
        psql(args.pg_host, f"DROP DATABASE IF EXISTS {database}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-dir", default=".", help="project checkout to serve")
    parser.add_argument("--bookings", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between bookings")
    parser.add_argument("--webhooks", type=int, default=10)
    parser.add_argument("--pg-host", default="127.0.0.1")
    print(json.dumps(run(parser.parse_args()), indent=1))


if __name__ == "__main__":
    main()
