"""Project-wide pytest fixtures and the rules for tests that need real servers.

Tests marked ``postgres`` / ``redis`` / ``e2e`` need real services. On a machine without them
they are skipped with a reason; under ``CI=true`` a missing service is a failure instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from xdist.scheduler import LoadScopeScheduling

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: Modules whose tests share one expensive stack (a session- or module-scoped fixture): with
#: pytest-xdist (-n), each runs whole on one worker, so its stack starts once.
SHARED_STACK_MODULES = frozenset(
    {
        "chaos/tests/test_campaign.py",  # the fault campaign, about 3 minutes
        "core/tests/test_docs_blocks.py",  # ./setup.sh -y and the docs' blocks, about 1.5
        "payments/tests/e2e/test_payment_flow.py",  # its emulator and Celery worker
    }
)


class SharedStackScheduling(LoadScopeScheduling):
    """``--dist load``, except that a module of SHARED_STACK_MODULES is one unit of work.

    Units are handed out largest first (xdist's loadscope reordering), so these modules start
    at once, on different workers, while the other tests are shared one at a time.
    """

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in SHARED_STACK_MODULES else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    # Only the default distribution (-n alone, or --dist load); other --dist modes stay xdist's.
    if config.getvalue("dist") != "load":
        return None
    return SharedStackScheduling(config, log)


def _uses_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql")


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def redis_cache_use(settings: Any, monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    """The production cache (``FailOpenRedisCache`` on the test Redis, under its own key
    prefix, reachable from the first call), set through pytest-django's ``settings`` like the
    tests' own changes, so they are undone in the right order; emptied."""
    from django.core.cache import cache

    from core.degraded import FailOpenRedisCache

    monkeypatch.setattr(FailOpenRedisCache, "down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.degraded.FailOpenRedisCache",
            "LOCATION": redis_url(),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": prefix,
        }
    }
    cache.clear()


@pytest.fixture
def fast_path_cache(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The production cache for the fast paths' tests (they count the throttle in Redis;
    without ``get_many_and_hit`` every request takes the whole stack)."""
    from django.core.cache import cache

    redis_cache_use(settings, monkeypatch, "fast-read-test")
    yield
    cache.clear()


def _redis_answers() -> bool:
    url = redis_url()
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing: dict[str, str] = {}
    if not _uses_postgres():
        missing["postgres"] = "needs PostgreSQL (set DATABASE_URL)"
    if not _redis_answers():
        missing["redis"] = "needs Redis (set REDIS_URL to a running server)"
    for item in items:
        for marker, reason in missing.items():
            if marker in item.keywords:
                if IN_CI:
                    item.add_marker(pytest.mark.usefixtures("_fail_missing_service_in_ci"))
                else:
                    item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_missing_service_in_ci(request: pytest.FixtureRequest) -> None:
    needed = [name for name in ("postgres", "redis") if name in request.keywords]
    pytest.fail(f"CI=true but a service this test needs is not available: {needed}")


@pytest.fixture(autouse=True)
def _fresh_count_estimates() -> None:
    """Planner estimates are remembered per process: every test asks PostgreSQL afresh."""
    from core.api.pagination import estimates_forget

    estimates_forget()


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    """Throttle counters live in the cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def staff_user(db: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="equipe",
        email="equipe@example.com",
        password="senha-da-equipe",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def api_client(staff_user: Any) -> APIClient:
    """A client authenticated as a superuser (staff with every model permission)."""
    client = APIClient()
    client.force_authenticate(user=staff_user)
    return client


@pytest.fixture
def anon_client() -> APIClient:
    """A client with no credentials."""
    return APIClient()
