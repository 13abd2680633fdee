"""Throttling on the Redis cache: one fixed-window counter per caller, counted in one round
trip (``FailOpenRedisCache.hit_window``) — for a token's user, in the round trip that reads
its snapshot (``get_many_and_hit``) — failing open while Redis is unreachable."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import hiredis
import pytest
from django.core.cache import cache
from django.test import override_settings
from redis import Redis
from redis.connection import Connection
from redis.exceptions import ResponseError
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from conftest import redis_url
from core import degraded
from core.api.throttling import user_window_for
from core.api.token_user import user_snapshot_get
from core.degraded import FailOpenRedisCache
from core.tests.access_fixtures import make_user
from core.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
PROTECTED = "/api/professionals/"


def _redis_cache(location: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "core.degraded.FailOpenRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": "throttle-test",
        }
    }


@pytest.fixture
def rates(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(FailOpenRedisCache, "down_until", 0.0)
    degraded.reset_warnings()


@pytest.fixture
def redis_cache(rates: None) -> Iterator[None]:
    with override_settings(CACHES=_redis_cache(redis_url())):
        cache.clear()
        yield
        cache.clear()


@pytest.mark.redis
def test_a_fixed_window_counter_in_redis(redis_cache: None) -> None:
    user = make_user("janela", is_staff=True)
    client = APIClient()
    client.force_authenticate(user=user)

    assert [client.get(PROTECTED).status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get(PROTECTED)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    # The counter is a plain integer with the window's expiry, not a list of timestamps.
    assert cache.get(f"throttle_user_{user.pk}:window") == 4
    redis: Any = cache
    key = redis.make_and_validate_key(f"throttle_user_{user.pk}:window")
    assert 0 < redis._cache.get_client(key).ttl(key) <= 60
    other = APIClient()
    other.force_authenticate(user=make_user("outra", is_staff=True))
    assert other.get(PROTECTED).status_code == 200


@pytest.mark.redis
def test_a_key_holding_something_else_is_never_a_500(redis_cache: None) -> None:
    """DRF's own throttles keep a pickled list under the plain key (a deploy in progress):
    the counter has a key of its own, and a key that is not a counter starts over."""
    user = make_user("lista", is_staff=True)
    cache.set(f"throttle_user_{user.pk}", [1.0, 2.0], 60)
    cache.set(f"throttle_user_{user.pk}:window", [1.0], 60)
    client = APIClient()
    client.force_authenticate(user=user)

    assert [client.get(PROTECTED).status_code for _ in range(3)] == [200, 200, 200]
    assert cache.get(f"throttle_user_{user.pk}:window") == 2  # started over after the list


@pytest.mark.redis
def test_hit_window_is_one_round_trip(redis_cache: None) -> None:
    counter: Any = cache
    assert counter.hit_window("k", 30)[0] == 1
    count, left = counter.hit_window("k", 30)
    assert count == 2
    assert 29 < left <= 30


def test_throttling_fails_open_while_redis_is_down(rates: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with override_settings(CACHES=_redis_cache(f"redis://127.0.0.1:{port}/0")):
        client = APIClient()
        client.force_authenticate(user=make_user("sem-redis", is_staff=True))
        statuses = [client.get(PROTECTED).status_code for _ in range(5)]
    assert statuses == [200] * 5  # over the 3/minute rate, but nothing can count: let through


def _bearer(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


class _RedisCalls:
    """Counts what reaches Redis: each write of packed commands to a connection (one round
    trip), with the names of the commands it carries (read back from the bytes sent)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.round_trips: list[list[str]] = []
        send: Any = Connection.send_packed_command

        def send_packed_command(connection: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
            chunks = [command] if isinstance(command, (bytes, str)) else list(command)
            sent = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
            self.round_trips.append(command_names(sent))
            return send(connection, command, *args, **kwargs)

        monkeypatch.setattr(Connection, "send_packed_command", send_packed_command)

    def clear(self) -> None:
        self.round_trips.clear()


def command_names(sent: bytes) -> list[str]:
    """The names of the commands packed in ``sent`` (RESP arrays of bulk strings)."""
    names: list[str] = []
    reader = hiredis.Reader()
    reader.feed(sent)
    while (command := reader.gets()) is not False:
        names.append(command[0].decode().upper())
    return names


def test_command_names_reads_packed_commands() -> None:
    pack: Any = hiredis.pack_command
    sent = pack(("MGET", "a", "b")) + pack(("INCR", "x\r\ny"))
    assert command_names(sent) == ["MGET", "INCR"]


@pytest.mark.redis
def test_a_token_request_reads_its_user_and_counts_its_hit_in_one_round_trip(
    redis_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user("uma-ida", is_staff=True)
    client = _bearer(user)
    calls = _RedisCalls(monkeypatch)
    assert client.get(PROTECTED).status_code == 200  # builds and caches the snapshot
    calls.clear()

    assert client.get(PROTECTED).status_code == 200

    assert calls.round_trips == [["MGET", "SET", "INCR", "PTTL"]]
    assert cache.get(f"throttle_user_{user.pk}:window") == 2


@pytest.mark.redis
def test_a_token_user_is_still_throttled_on_its_own_counter(redis_cache: None) -> None:
    user = make_user("limite-token", is_staff=True)
    client = _bearer(user)

    assert [client.get(PROTECTED).status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get(PROTECTED)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert cache.get(f"throttle_user_{user.pk}:window") == 4
    assert _bearer(make_user("outro-token", is_staff=True)).get(PROTECTED).status_code == 200


@pytest.mark.redis
def test_a_view_without_the_user_throttle_counts_nothing_for_the_user(
    redis_cache: None,
) -> None:
    class Unthrottled(APIView):  # DRF's get_throttles, with no user throttle among them
        throttle_classes: list[Any] = []

    class Request:
        parser_context = {"view": Unthrottled()}

    class Throttled(APIView):  # the default classes: the user throttle is among them
        pass

    class ThrottledRequest:
        parser_context = {"view": Throttled()}

    assert user_window_for(ThrottledRequest(), 7) == ("throttle_user_7:window", 60)
    assert user_window_for(Request(), 7) is None
    user = make_user("sem-limite", is_staff=True)
    snapshot = user_snapshot_get(user.pk, request=Request())
    assert snapshot is not None
    assert cache.get(f"throttle_user_{user.pk}:window") is None


def test_a_token_request_fails_open_while_redis_is_down(rates: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with override_settings(CACHES=_redis_cache(f"redis://127.0.0.1:{port}/0")):
        client = _bearer(make_user("token-sem-redis", is_staff=True))
        statuses = [client.get(PROTECTED).status_code for _ in range(5)]
    assert statuses == [200] * 5  # the user read from the database, nothing counted


def test_a_view_choosing_its_throttles_is_not_asked_mid_authentication() -> None:
    """The payment refresh picks its throttles by the request's user: asking it while that
    user is being authenticated recursed (a 500 found by the contract run)."""

    class ChoosesByUser(APIView):
        def get_throttles(self) -> list[Any]:
            raise AssertionError("asked for its throttles during authentication")

    class Request:
        parser_context = {"view": ChoosesByUser()}

    assert user_window_for(Request(), 7) is None


@pytest.mark.redis
def test_the_payment_refresh_with_a_token_is_throttled_once_not_a_500(
    redis_cache: None, settings: Any
) -> None:
    user = make_user("refresh-token", is_staff=True)
    appointment = AppointmentFactory.create()
    settings.ASAAS_API_KEY = ""  # no Asaas here: the refresh answers without calling it
    client = _bearer(user)

    response = client.get(f"/api/appointments/{appointment.pk}/payment_status/?refresh=1")

    assert response.status_code != 500, response.content
    assert response.status_code in {200, 503}, response.content
    assert cache.get(f"throttle_user_{user.pk}:window") == 1  # counted once, not twice


@pytest.mark.redis
def test_a_commands_error_is_its_reply_and_the_connection_stays_clean(redis_cache: None) -> None:
    client = Redis.from_url(redis_url(), single_connection_client=False)
    client.delete("replies:x")
    replies = degraded.replies_of(
        client, [("SET", "replies:x", "not a number"), ("INCR", "replies:x"), ("GET", "replies:x")]
    )
    assert replies[0] == b"OK"
    assert isinstance(replies[1], ResponseError)
    assert replies[2] == b"not a number"
    # The connection read every reply: the next batch gets its own, in order.
    assert degraded.replies_of(client, [("DEL", "replies:x"), ("INCR", "replies:x")]) == [1, 1]
    client.delete("replies:x")


@pytest.mark.redis
def test_the_held_connection_serves_every_call_and_a_busy_one_is_not_waited_for() -> None:
    client = Redis.from_url(redis_url())
    pool = client.connection_pool
    [first] = degraded.replies_of(client, [("CLIENT", "ID")])
    assert degraded.replies_of(client, [("CLIENT", "ID")]) == [first]  # no checkout: held
    assert pool._created_connections == 1
    assert not pool._available_connections  # kept out of the pool

    held = degraded.HeldConnection.of(pool)
    with held.lock:  # another thread is using it: this call takes a pooled one, gives it back
        [other] = degraded.replies_of(client, [("CLIENT", "ID")])
    assert other != first
    assert len(pool._available_connections) == 1
    assert degraded.replies_of(client, [("CLIENT", "ID")]) == [first]


@pytest.mark.redis
def test_a_forked_child_takes_its_own_connection_and_leaves_the_parents_alone() -> None:
    client = Redis.from_url(redis_url())
    [parents] = degraded.replies_of(client, [("CLIENT", "ID")])
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            [own] = degraded.replies_of(client, [("CLIENT", "ID")])
            os.write(writing, str(own).encode())
        finally:
            os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    with os.fdopen(reading) as answer:
        childs = int(answer.read())
    assert childs != parents
    # The child closed nothing of the parent's: its connection still answers, in order.
    assert degraded.replies_of(client, [("ECHO", "still"), ("CLIENT", "ID")]) == [b"still", parents]


@pytest.mark.redis
def test_a_dead_pooled_connection_is_replaced_not_an_outage(redis_cache: None) -> None:
    client = Redis.from_url(redis_url())
    [pooled] = degraded.replies_of(client, [("CLIENT", "ID")])
    # The server drops the pooled connection (a Redis restart, an idle timeout).
    assert Redis.from_url(redis_url()).client_kill_filter(_id=pooled) == 1
    assert degraded.replies_of(client, [("ECHO", "again"), ("CLIENT", "ID")])[0] == b"again"
    assert degraded.replies_of(client, [("CLIENT", "ID")]) != [pooled]
