"""Test runs: PostgreSQL when configured, otherwise SQLite in memory."""

from __future__ import annotations

from .base import *
from .environment import database_or_fallback, env

ENVIRONMENT = "testing"
DEBUG = False
SECRET_KEY = env.str(
    "SECRET_KEY", default="testing-only-secret-key-not-for-production-use-0123456789"
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
