"""The fail-open cache and the rate-limited warning, against a port where nothing listens
(a real refused connection, nothing mocked). The full outage is in ``test_redis_outage``."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from core import degraded
from core.celery import app as celery_app
from core.degraded import BestEffortDelayTask, FailOpenRedisCache, warn_rate_limited


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # released on exit: nobody listens there


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(FailOpenRedisCache, "down_until", 0.0)
    degraded.reset_warnings()
    yield
    degraded.reset_warnings()


@pytest.fixture
def dead_cache() -> FailOpenRedisCache:
    return FailOpenRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )


def test_an_unreachable_cache_misses_instead_of_raising(
    dead_cache: FailOpenRedisCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.degraded")

    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "padrão") == "padrão"
    assert dead_cache.get("k", default=[]) == []
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.has_key("k") is False
    assert dead_cache.add("k", 1) is False
    assert dead_cache.set("k", 1) is None
    assert dead_cache.set_many({"a": 1}) == []
    assert dead_cache.delete("k") is False
    assert dead_cache.touch("k") is False
    with pytest.raises(ValueError, match="cache unavailable"):
        dead_cache.incr("k")

    warnings = [r for r in caplog.records if r.name == "core.degraded"]
    assert len(warnings) == 1
    assert "fail open" in warnings[0].getMessage()


def test_after_a_failure_the_cache_is_not_tried_for_a_while(
    dead_cache: FailOpenRedisCache,
) -> None:
    dead_cache.get("k")
    assert FailOpenRedisCache.down_until > time.monotonic() + degraded.RETRY_AFTER_SECONDS - 1
    # While "down", calls return at once without touching the network: even a cache pointing
    # at an unroutable address answers immediately.
    blackhole = FailOpenRedisCache("redis://10.255.255.1:6379/0", {})
    started = time.monotonic()
    assert blackhole.get("k", 7) == 7
    assert time.monotonic() - started < 0.05


def test_a_warning_is_logged_at_most_once_a_minute_per_subject(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="core.degraded")

    logged = [warn_rate_limited("cache", "fora %s", i) for i in range(5)]
    other = warn_rate_limited("broker", "fora")
    degraded._warned_at["cache"] -= degraded.WARNING_INTERVAL_SECONDS + 1  # a minute later
    again = warn_rate_limited("cache", "fora de novo")

    assert logged == [True, False, False, False, False]
    assert other is True
    assert again is True
    assert [r.getMessage() for r in caplog.records] == ["fora 0", "fora", "fora de novo"]


def test_every_project_task_uses_the_best_effort_class() -> None:
    project_tasks = [
        task
        for name, task in celery_app.tasks.items()
        if name.startswith(("payments.", "core.", "appointments.", "professionals."))
    ]
    assert project_tasks
    assert all(isinstance(task, BestEffortDelayTask) for task in project_tasks)


def test_publishing_is_bounded_and_the_worker_never_gives_up_on_the_broker() -> None:
    conf = celery_app.conf
    assert conf.broker_connection_timeout <= 1
    assert conf.task_publish_retry_policy["max_retries"] <= 1
    assert conf.task_publish_retry_policy["interval_max"] <= 0.5
    assert conf.broker_connection_max_retries is None
    options = conf.broker_transport_options
    if str(conf.broker_url).startswith("redis"):
        assert options["socket_connect_timeout"] <= 1
        assert options["socket_timeout"] <= 2


@pytest.mark.redis
def test_one_redis_client_serves_every_call_of_the_cache() -> None:
    from conftest import redis_url

    cache = FailOpenRedisCache(redis_url(), {})
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    # Not a new client (with its table of response callbacks) per call:
    assert cache._cache.get_client("any-key") is client  # type: ignore[attr-defined]
    cache.set("degraded:reuse", {"ok": 1}, timeout=5)
    assert cache.get("degraded:reuse") == {"ok": 1}
    assert cache.hit_window("degraded:window", 5)[0] >= 1
    cache.delete_many(["degraded:reuse", "degraded:window"])
