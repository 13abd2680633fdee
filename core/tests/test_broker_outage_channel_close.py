"""A Redis outage must not end the Celery worker: closing the broker connection after Redis died
(what the worker's consumer does, ``collect()`` then ``close()``) raises no ``AttributeError``
while the channel holds an unacknowledged message and has a BRPOP in flight (core/celery.py);
and a real worker holding such messages lives through its broker's death and restart, then
runs a task published after it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue

from core.celery import app as celery_app  # noqa: F401 - installs the kombu workaround
from core.tasks import beat_heartbeat_task
from core.tests import redis_server
from core.tests.processes import process_stop, wait_for
from core.tests.redis_server import RedisServer

own_redis = redis_server.own_redis
app_on_own_redis = redis_server.app_on_own_redis
ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "celery", "-A", "core", "worker", "--pool", "solo", "-l", "INFO"]


def test_closing_the_connection_after_redis_died_keeps_the_worker_alive(
    own_redis: RedisServer,
) -> None:
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    conn = Connection(own_redis.url(0), transport_options=options)
    channel: Any = conn.default_channel
    queue = Queue("outage-close", Exchange("outage-close"), "outage-close", channel=channel)
    queue.declare()
    conn.Producer(channel).publish({"n": 1}, exchange=queue.exchange, routing_key="outage-close")
    held = queue.get(no_ack=False)  # unacknowledged, like a countdown task the worker holds
    assert held is not None
    queue.consume(callback=lambda body, message: None)
    # A channel opened later (the worker's remote control / gossip ones): the transport closes it
    # first, its failing close stops the transport from closing the default channel.
    later = Queue(
        "outage-close-2", Exchange("outage-close-2"), "outage-close-2", channel=conn.channel()
    )
    later.declare()
    later.consume(callback=lambda body, message: None)
    with contextlib.suppress(socket.timeout):
        conn.drain_events(timeout=0.2)  # sends the BRPOP the event loop always has in flight
    assert channel._in_poll

    own_redis.kill()

    conn.collect(socket_timeout=5.0)  # celery: Consumer.on_connection_error_after_connected
    conn.close()  # AttributeError: 'NoneType' object has no attribute 'hostname' without the fix
    assert channel.closed


def test_a_worker_holding_tasks_lives_through_its_brokers_death_and_runs_the_next_one(
    app_on_own_redis: RedisServer, tmp_path: Path
) -> None:
    server = app_on_own_redis
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "core.settings.testing",
        "REDIS_URL": server.url(0),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    name = f"outage-{uuid.uuid4().hex[:8]}@localhost"
    with log.open("wb") as out:
        # The local stack's worker (Procfile): the solo pool, gossip and mingle on.
        worker = subprocess.Popen(
            [*WORKER, "-n", name],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: b"ready." in log.read_bytes(), 60, "the worker to be ready", log)
        # Tasks it holds unacknowledged (a countdown, as the charge retries use).
        for _ in range(2):
            beat_heartbeat_task.apply_async(countdown=600)
        wait_for(lambda: log.read_bytes().count(b"Task ") >= 2, 30, "the held tasks", log)

        server.kill()
        time.sleep(3)
        server.start()

        probe = beat_heartbeat_task.apply_async()
        wait_for(
            lambda: (
                worker.poll() is not None or f"[{probe.id}] succeeded".encode() in log.read_bytes()
            ),
            60,
            "the task published after the outage",
            log,
        )
        text = log.read_text(errors="replace")
        assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{text[-4000:]}"
        assert "has no attribute 'hostname'" not in text
        assert "Unrecoverable error" not in text
    finally:
        process_stop(worker, timeout=15)
