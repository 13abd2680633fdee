"""A Redis outage must not end the Celery worker: closing the broker connection after Redis died
(what the worker's consumer does, ``collect()`` then ``close()``) raises no ``AttributeError``
while the channel holds an unacknowledged message and has a BRPOP in flight (core/celery.py)."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from kombu import Connection, Exchange, Queue

from core.celery import app as celery_app  # noqa: F401 - installs the kombu workaround
from core.tests import redis_server
from core.tests.redis_server import RedisServer

own_redis = redis_server.own_redis


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
