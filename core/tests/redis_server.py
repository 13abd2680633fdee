"""A private Redis for the outage tests: ``redis-server`` on a free port, started, killed and
restarted by the test (never the shared Redis), and fixtures pointing this process's cache and
Celery broker at it."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kombu.pools
import pytest
import redis
from rest_framework.throttling import SimpleRateThrottle

from core.celery import app as celery_app
from core.degraded import BestEffortDelayTask, FailOpenRedisCache, reset_warnings
from payments.tasks import create_asaas_charge_task

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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
