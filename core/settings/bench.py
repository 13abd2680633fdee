"""Benchmark runs (``python -m bench``): production settings, throttling out of the way, the
floor mounted under ``/floor/`` and a header counting the SQL statements of each request.

Only the benchmark harness uses this module; production URLs never include the floor.
Defaults below are set in the environment before production settings read it, so a bench
run needs no ``.env`` (anything already set wins).
"""

from __future__ import annotations

import os

_BENCH_DEFAULTS = {
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "EMAIL_ALLOW_CONSOLE": "true",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/medical_api_bench",
    "THROTTLE_USER_RATE": "100000000/minute",
    "THROTTLE_ANON_RATE": "100000000/minute",
    "THROTTLE_AUTH_RATE": "100000/minute",
    "THROTTLE_WEBHOOK_RATE": "100000000/minute",
    "THROTTLE_ASAAS_REFRESH_RATE": "100000000/minute",
    "JWT_ACCESS_MINUTES": "600",
    "DB_CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}
for _name, _value in _BENCH_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from .production import *  # noqa: E402

ENVIRONMENT = "bench"
DEBUG = False
ROOT_URLCONF = "bench.urls"
# Outermost: it sees every statement of the request, the middleware's included.
MIDDLEWARE = ["bench.sqlcount.SqlCountMiddleware", *MIDDLEWARE]
