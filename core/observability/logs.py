"""Logging configuration: JSON lines in production, readable text in development.

Every record carries ``request_id`` (see ``request_id.py``). Messages never hold personal data
or secrets: the code logs ids, never names, CPFs, e-mails, phones, keys or payloads.
"""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """A ``dictConfig`` with one console handler (``log_format`` is ``json`` or ``text``)."""
    formatter: dict[str, Any]
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
            # Extras never written: Django's "request" repr holds the query string (search
            # values may be personal data); "server_time" repeats the time.
            "reserved_attrs": [*RESERVED_ATTRS, "request", "server_time"],
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "core.observability.request_id.RequestIdLogFilter"},
            # No query string (search terms: CPF, names, e-mails) in any line the project writes.
            "no_query_string": {"()": "core.logging.QueryStringRedactingFilter"},
        },
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["no_query_string", "request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Django's own loggers have their own handlers in its default config: route them
            # through ours only (no second, differently formatted copy of each line).
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "django.server": {"handlers": ["console"], "level": level, "propagate": False},
            "celery": {"handlers": ["console"], "level": level, "propagate": False},
            # A failing check is reported in /health/ready/'s body; no traceback per probe.
            "health_check": {"level": "ERROR"},
        },
    }
