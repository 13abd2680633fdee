"""Degraded, not down: what the API does while Redis (cache or broker) is unavailable.

* ``FailOpenRedisCache`` — the cache backend: an unreachable Redis makes reads miss and
  writes do nothing instead of raising, so throttling (whose counters live in the cache) lets
  requests through; after a failure Redis is not tried again for ``RETRY_AFTER_SECONDS``, so
  a request does not pay a connection attempt per cache call.
  ``hit_window`` counts a throttle hit in one round trip (``core.api.throttling``);
  ``get_many_and_hit`` reads keys and counts a hit in one (the JWT user snapshot and the
  user's throttle counter, ``core.api.token_user``).
* ``warn_rate_limited`` — one warning per subject at most once a minute (an outage must not
  flood the logs with one line per request).
* ``BestEffortDelayTask`` — the Celery task class: ``delay()`` never raises for a broker
  outage (logged, rate-limited); the periodic jobs (sweeper, webhook replay) pick the work up
  from the database.

Sessions are stored in the database and JWTs are stateless: neither depends on Redis.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import hiredis
from celery import Task
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError as RedisResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: hiredis (a dependency: redis-py's reply parser) packs a command in C; its stub types the
#: argument as a 1-tuple.
_pack_command: Callable[[Any], bytes] = hiredis.pack_command

logger = logging.getLogger("core.degraded")

WARNING_INTERVAL_SECONDS = 60.0
RETRY_AFTER_SECONDS = 5.0
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

_warned_at: dict[str, float] = {}
_warn_lock = threading.Lock()


def warn_rate_limited(subject: str, message: str, *args: Any) -> bool:
    """Log ``message`` as a warning unless ``subject`` was warned about in the last minute.
    Returns whether it was logged."""
    now = time.monotonic()
    with _warn_lock:
        last = _warned_at.get(subject)
        if last is not None and now - last < WARNING_INTERVAL_SECONDS:
            return False
        _warned_at[subject] = now
    logger.warning(message, *args)
    return True


def reset_warnings() -> None:
    """Forget when each subject was last warned about (tests)."""
    with _warn_lock:
        _warned_at.clear()


Fallback = Callable[[tuple[Any, ...], dict[str, Any]], Any]


def _constant(value: Any) -> Fallback:
    return lambda args, kwargs: value() if callable(value) else value


def _callers_default(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``get(key, default=None, version=None)``: a miss returns the caller's default."""
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _fail_open(fallback: Fallback) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(self: FailOpenRedisCache, *args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < type(self).down_until:
                return fallback(args, kwargs)
            try:
                return method(self, *args, **kwargs)
            except REDIS_DOWN as error:
                type(self).down_until = time.monotonic() + RETRY_AFTER_SECONDS
                warn_rate_limited(
                    "cache",
                    "cache (Redis) unavailable, throttling and other cache users fail open: %s",
                    type(error).__name__,
                )
                return fallback(args, kwargs)

        return wrapper

    return decorate


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every cache call, and each one copies the
    client's table of ~170 response callbacks: a measurable share of a fast request that
    makes two cache calls. A ``redis.Redis`` is safe to share between threads (each command
    takes a connection from the pool), so one per pool is enough.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self
        index: int = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = this._client(connection_pool=this._get_connection_pool(index))
            self._clients[index] = client
        return client


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache that degrades to "always a miss" while Redis is unreachable."""

    down_until = 0.0  # monotonic time before which Redis is not tried (per process)

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    @_fail_open(_callers_default)
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)

    @_fail_open(_constant(False))
    def add(self, *args: Any, **kwargs: Any) -> bool:
        return super().add(*args, **kwargs)

    @_fail_open(_constant(None))
    def set(self, *args: Any, **kwargs: Any) -> None:
        super().set(*args, **kwargs)

    @_fail_open(_constant(False))
    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return super().touch(*args, **kwargs)

    @_fail_open(_constant(False))
    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return super().delete(*args, **kwargs)

    @_fail_open(_constant(dict))
    def get_many(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return super().get_many(*args, **kwargs)

    @_fail_open(_constant(False))
    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return super().has_key(*args, **kwargs)

    @_fail_open(_constant(list))
    def set_many(self, *args: Any, **kwargs: Any) -> list[Any]:
        return super().set_many(*args, **kwargs)

    @_fail_open(_constant(None))
    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        super().delete_many(*args, **kwargs)

    @_fail_open(_constant(None))
    def clear(self) -> None:
        super().clear()

    @_fail_open(_constant(None))
    def hit_window(self, key: str, seconds: int) -> tuple[int, float] | None:
        """Count one hit on a fixed-window counter in ONE round trip (``replies_of``:
        ``SET NX EX``, ``INCR``, ``PTTL``): the hits so far in the window and the seconds
        left in it. ``None`` while Redis is unreachable (the throttle then lets the request
        through)."""
        return self._read_and_hit([], key, seconds)[1]

    @_fail_open(_constant(None))
    def flag_raise(self, key: str, seconds: int) -> bool | None:
        """Raise a shared flag (``SET NX EX``): True when this call raised it, False when it
        was already up, None while Redis is unreachable (nobody can tell)."""
        redis_key = self.make_key(key)
        client = self._cache.get_client(redis_key, write=True)  # type: ignore[attr-defined]
        [raised] = replies_of(client, [("SET", redis_key, 1, "EX", seconds, "NX")])
        if isinstance(raised, Exception):
            raise raised
        return raised is not None

    @_fail_open(_constant(None))
    def get_many_and_hit(
        self, keys: list[str], window: str, seconds: int
    ) -> tuple[dict[str, Any], tuple[int, float] | None] | None:
        """``get_many(keys)`` and ``hit_window(window, seconds)`` in ONE round trip (a request's
        user snapshot and its throttle counter). ``None`` while Redis is unreachable."""
        return self._read_and_hit(keys, window, seconds)

    def _read_and_hit(
        self, keys: list[str], window: str, seconds: int
    ) -> tuple[dict[str, Any], tuple[int, float] | None]:
        """One round trip: ``MGET keys`` (when there are keys), then ``SET NX EX``, ``INCR`` and
        ``PTTL`` of the window's counter. The hit is ``None`` when the key holds something
        that is not a counter (written by something else): it is dropped, to start over."""
        # make_key, not make_and_validate_key: the keys are the project's own, and the
        # validation only warns about keys memcached would refuse, character by character.
        key_map = {self.make_key(key): key for key in keys}
        redis_window = self.make_key(window)
        client = self._cache.get_client(redis_window, write=True)  # type: ignore[attr-defined]
        commands: list[tuple[Any, ...]] = [("MGET", *key_map)] if key_map else []
        commands += [
            ("SET", redis_window, 0, "EX", seconds, "NX"),
            ("INCR", redis_window),
            ("PTTL", redis_window),
        ]
        results = replies_of(client, commands)
        found: dict[str, Any] = {}
        if key_map and not isinstance(results[0], Exception):
            loads = self._cache._serializer.loads  # type: ignore[attr-defined]
            found = {
                key_map[key]: loads(value)
                for key, value in zip(key_map, results[0], strict=True)
                if value is not None
            }
        count, left_ms = results[-2:]
        if isinstance(count, RedisResponseError) or isinstance(left_ms, RedisResponseError):
            client.delete(redis_window)
            return found, None
        if left_ms < 0:  # expired between SET and INCR: INCR made a key with no expiry
            client.expire(redis_window, seconds)
            left_ms = seconds * 1000
        return found, (int(count), left_ms / 1000)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        if time.monotonic() < type(self).down_until:
            raise ValueError("cache unavailable: key not found")
        try:
            return super().incr(key, delta, version)
        except REDIS_DOWN as error:
            type(self).down_until = time.monotonic() + RETRY_AFTER_SECONDS
            raise ValueError("cache unavailable: key not found") from error


def replies_of(client: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    """The replies to ``commands`` sent in one write on one connection of the client's pool
    — what a non-transactional pipeline does, without its per-command bookkeeping. A
    command's error is its reply (a ``ResponseError``), read so that the connection is left
    clean; a connection error or timeout is retried as the client's own commands are (its
    ``retry`` policy, reconnecting), then raised.

    The connection is the one this process holds for the pool (``HeldConnection``) when no
    other thread is using it, else one taken from the pool and given back: a hot request
    makes one such round trip, and the pool's checkout, health poll and release cost more
    than the round trip's own system calls. Each command is packed by hiredis at once (the
    name is one word: ``("CLIENT", "ID")``, not ``("CLIENT ID",)``)."""
    held = HeldConnection.of(client.connection_pool)
    if held.lock.acquire(blocking=False):
        try:
            return _exchange(held.connection(), commands)
        finally:
            held.lock.release()
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        return _exchange(connection, commands)
    finally:
        pool.release(connection)


def _exchange(connection: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    packed = _packed(commands)

    def send_and_read() -> list[Any]:
        connection.send_packed_command(packed)
        replies: list[Any] = []
        for _command in commands:
            try:
                replies.append(connection.read_response())
            except RedisResponseError as error:
                replies.append(error)
        return replies

    try:
        return list(
            connection.retry.call_with_retry(send_and_read, lambda _e: connection.disconnect())
        )
    except BaseException:
        connection.disconnect()  # replies may be left unread: never reuse it as it is
        raise


def _packed(commands: list[tuple[Any, ...]]) -> list[bytes]:
    return [b"".join([_pack_command(command) for command in commands])]


class HeldConnection:
    """One connection of a pool kept out of it by this process for ``replies_of``, used by
    one thread at a time (``lock``; a thread that finds it busy takes a pooled one).

    It is never given back: it is checked before each use as the pool checks a connection it
    hands out, and a connection error disconnects it; it goes away with its pool (the table
    is weak). After a fork the child forgets the parent's (the pool resets itself too) and
    takes its own."""

    _by_pool: weakref.WeakKeyDictionary[Any, HeldConnection] = weakref.WeakKeyDictionary()
    _guard = threading.Lock()

    def __init__(self, pool: Any) -> None:
        self.pool = weakref.ref(pool)
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self._connection: Any = None

    @classmethod
    def of(cls, pool: Any) -> HeldConnection:
        held = cls._by_pool.get(pool)
        if held is None or held.pid != os.getpid():
            with cls._guard:
                held = cls._by_pool.get(pool)
                if held is None or held.pid != os.getpid():
                    held = cls(pool)
                    cls._by_pool[pool] = held
        return held

    def connection(self) -> Any:
        """The held connection, ready as the pool's checkout leaves one (call with
        ``lock``): taken from the pool on first use; later, a connection with something to
        read — the server closed it (a restart, an idle timeout) or a reply was left
        unread — is replaced by a new one, after one non-blocking poll."""
        connection = self._connection
        if connection is None:
            pool = self.pool()
            if pool is None:  # pragma: no cover - the caller holds the pool
                raise RedisConnectionError("the connection pool is gone")
            self._connection = connection = pool.get_connection()
            return connection
        try:
            if connection.can_read():
                raise RedisConnectionError("connection not ready")
        except (RedisConnectionError, RedisTimeoutError, OSError):
            connection.disconnect()
            connection.connect()
        return connection


class BestEffortDelayTask(Task):  # type: ignore[type-arg]
    """The project's Celery task class: ``delay()`` is best effort.

    Every ``delay()`` of the project is a hand-off whose durable state is in the database and
    whose loss a periodic job repairs (the sweeper re-enqueues charges never created, the
    replay finishes stored webhooks). A broker outage therefore logs a warning (at most once
    a minute), skips publishing for ``RETRY_AFTER_SECONDS`` (a hung broker costs one socket
    timeout, not one per request) and returns ``None`` instead of raising into the request.
    Raising there is worse than it looks: in a ``transaction.on_commit(..., robust=True)`` of
    a ``functools.partial``, Django's own error logging fails (a partial has no
    ``__qualname__``) and turns a saved booking into a 500. ``apply_async()`` (retries,
    countdowns) still raises.
    """

    broker_down_until = 0.0  # monotonic time before which publishing is not tried

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < BestEffortDelayTask.broker_down_until:
            return None
        try:
            return super().delay(*args, **kwargs)
        except BrokerError as error:
            BestEffortDelayTask.broker_down_until = time.monotonic() + RETRY_AFTER_SECONDS
            warn_rate_limited(
                "broker",
                "broker (Redis) unavailable, %s not enqueued (left for the periodic jobs): %s",
                self.name,
                type(error).__name__,
            )
            return None
