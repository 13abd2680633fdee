"""Local development: DEBUG on, SQLite file when no PostgreSQL is configured."""

from __future__ import annotations

from .base import *
from .environment import BASE_DIR, database_or_fallback, env, raw_str

ENVIRONMENT = "development"
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or "django-insecure-development-only-key-change-me"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "0.0.0.0"])  # noqa: S104 - runserver on all interfaces in dev

SQLITE_PATH = env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))
DATABASES = {
    "default": database_or_fallback(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # web, worker and beat share the file: wait for the lock instead of failing, and
            # take the write lock up front so two writers never deadlock on an upgrade.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        },
        f"the SQLite file {SQLITE_PATH}",
    )
}

# WhiteNoise serves collected files in production only; runserver serves them here.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

# The local stack talks to the Asaas emulator (python manage.py run_asaas_emulator) by default.
ASAAS_API_KEY = raw_str("ASAAS_API_KEY", "$aact_hmlg_emulator_root_key")
ASAAS_WEBHOOK_TOKEN = raw_str(
    "ASAAS_WEBHOOK_TOKEN", "development-webhook-token-change-me-0123456789"
)
