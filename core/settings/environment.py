"""Reading the environment: one ``environ.Env`` for every settings module.

A ``.env`` file at the project root is read when present; variables already set in the
process environment always win over the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
ENV_FILE = BASE_DIR / ".env"
if ENV_FILE.is_file():
    env.read_env(str(ENV_FILE), overwrite=False)

_DB_NOTICE_FLAG = "MEDICAL_API_DB_NOTICE_SHOWN"


def postgres_from_parts() -> dict[str, Any] | None:
    """The seed's ``DB_NAME/DB_USER/DB_PASSWORD/DB_HOST/DB_PORT`` variables, when DB_NAME is set."""
    name = env.str("DB_NAME", default="")
    if not name:
        return None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": env.str("DB_USER", default="postgres"),
        "PASSWORD": env.str("DB_PASSWORD", default=""),
        "HOST": env.str("DB_HOST", default="127.0.0.1"),
        "PORT": env.str("DB_PORT", default="5432"),
    }


def configured_database() -> dict[str, Any] | None:
    """PostgreSQL settings from ``DATABASE_URL`` or the ``DB_*`` variables, else ``None``."""
    if env.str("DATABASE_URL", default=""):
        return dict(env.db_url("DATABASE_URL"))
    return postgres_from_parts()


def database_or_fallback(fallback: dict[str, Any], description: str) -> dict[str, Any]:
    """The configured database, or ``fallback`` announced once per process tree."""
    configured = configured_database()
    if configured is not None:
        configured.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
        configured.setdefault("CONN_HEALTH_CHECKS", True)
        return configured
    if not os.environ.get(_DB_NOTICE_FLAG):
        # Child processes (the autoreloader, test workers) inherit the flag and stay quiet.
        os.environ[_DB_NOTICE_FLAG] = "1"
        sys.stderr.write(f"[medical-api] No DATABASE_URL or DB_NAME set: using {description}.\n")
    return fallback


def raw_str(name: str, default: str = "") -> str:
    """A variable read verbatim. django-environ treats a leading ``$`` as a reference to
    another variable, but Asaas API keys really start with ``$`` (``$aact_...``)."""
    return os.environ.get(name, default)
