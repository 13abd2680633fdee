"""Test runs: PostgreSQL when configured, otherwise SQLite in memory."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .base import *
from .environment import database_or_fallback, env, raw_str

ENVIRONMENT = "testing"
DEBUG = False
SECRET_KEY = (
    env.str("SECRET_KEY", default="") or "testing-only-secret-key-not-for-production-use-0123456789"
)
ALLOWED_HOSTS = ["*"]

DATABASES = {
    "default": database_or_fallback(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "SQLite in memory (tests that need PostgreSQL will be skipped)",
    )
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# WhiteNoise serves collected files in production only; runserver serves them here.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]


def _redis_url_of_this_test_worker(url: str) -> str:
    """A Redis database of its own for each pytest-xdist worker process (gw0 keeps the
    configured one, gw1 the one below it, and so on): the end-to-end tests purge the broker's
    queue and run a real worker on it. Exported, so the fixtures and the processes the tests
    start use the same database; done once, since those processes inherit both variables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    parsed = urlsplit(url)
    if (
        not worker.startswith("gw")
        or os.environ.get("TEST_REDIS_WORKER") == worker
        or parsed.scheme not in {"redis", "rediss"}
    ):
        return url
    configured = int(parsed.path.strip("/") or 0)
    url = parsed._replace(path=f"/{(configured - int(worker[2:])) % 16}").geturl()
    os.environ["REDIS_URL"] = url
    os.environ["TEST_REDIS_WORKER"] = worker
    return url


REDIS_URL = _redis_url_of_this_test_worker(REDIS_URL)

# Tests publish to Redis when one is configured (the end-to-end tests run a real worker on it);
# otherwise to an in-memory broker nobody consumes (unit tests call tasks directly).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
ASAAS_API_KEY = raw_str("ASAAS_API_KEY", "$aact_hmlg_emulator_root_key")
ASAAS_WEBHOOK_TOKEN = raw_str("ASAAS_WEBHOOK_TOKEN", "testing-webhook-token-0123456789abcdef")

# Each test starts with empty throttle counters; the throttling tests set their own rates.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Each read is written to the access log at once (tests look for the rows right after a
# request); the buffered mode has its own tests.
AUDIT_BUFFER_SECONDS = 0.0
