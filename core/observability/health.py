"""Health checks (django-health-check): liveness and readiness, as JSON.

``/health/`` answers as long as the process serves requests (no dependency is touched).
``/health/ready/`` runs every check; a failing *critical* check (the database) makes it 503. The
others (cache, broker, worker, beat, Asaas, webhook backlog) make it ``degraded`` but still 200:
without them requests are still served (the cache fails open and publishing is best effort, see
``core/degraded.py``) and the work waits in the database for the periodic jobs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check import checks
from health_check.base import HealthCheck, HealthCheckResult
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from core.observability.heartbeats import BEAT_KEY, WORKER_KEY, heartbeat_age, heartbeat_interval


class ClosesConnections:
    """Checks run in executor threads: close that thread's database connections after each."""

    def run(self) -> None:
        try:
            super().run()  # type: ignore[misc]
        finally:
            connections.close_all()


@dataclasses.dataclass
class Database(ClosesConnections, checks.Database):
    pass


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        from core.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1, timeout=int(self.timeout.total_seconds())
                )
        except Exception as error:
            raise ServiceUnavailable(type(error).__name__) from error


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """A heartbeat (see ``heartbeats.py``) no older than three intervals."""

    key: str = WORKER_KEY
    what: str = "worker"

    def run(self) -> None:
        age = heartbeat_age(key=self.key)
        limit = heartbeat_interval() * 3
        if age is None:
            raise ServiceUnavailable(f"no {self.what} heartbeat")
        if age > limit:
            raise ServiceUnavailable(f"last {self.what} heartbeat {age:.0f} s ago (> {limit:.0f})")


def _payments_checks() -> list[HealthCheck]:
    from payments.health import AsaasReachable, WebhookBacklog

    return [AsaasReachable(), WebhookBacklog()]


def readiness_checks() -> dict[str, tuple[HealthCheck, bool]]:
    """Name → (check, critical)."""
    asaas, backlog = _payments_checks()
    return {
        "database": (Database(), True),
        "cache": (checks.Cache(), False),
        "broker": (Broker(), False),
        "worker": (Heartbeat(key=WORKER_KEY, what="worker"), False),
        "beat": (Heartbeat(key=BEAT_KEY, what="beat"), False),
        "asaas": (asaas, False),
        "webhook_backlog": (backlog, False),
    }


def _describe(result: HealthCheckResult, critical: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "status": "ok",
        "critical": critical,
        "time_ms": round(result.time_taken * 1000, 1),
    }
    if result.error is not None:
        entry["status"] = "warning" if isinstance(result.error, ServiceWarning) else "error"
        entry["detail"] = str(result.error.message)
    return entry


class ReadinessView(HealthCheckView):
    """Every check in parallel; JSON whatever the Accept header."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        checks = readiness_checks()
        results = await asyncio.gather(*(check.get_result() for check, _ in checks.values()))
        report = {
            name: _describe(result, critical)
            for (name, (_, critical)), result in zip(checks.items(), results, strict=True)
        }
        failed_critical = any(e["critical"] and e["status"] == "error" for e in report.values())
        degraded = any(e["status"] != "ok" for e in report.values())
        status = "error" if failed_critical else "degraded" if degraded else "ok"
        response = JsonResponse(
            {"status": status, "checks": report}, status=503 if failed_critical else 200
        )
        add_never_cache_headers(response)
        return response


def liveness(request: HttpRequest) -> JsonResponse:
    """The process is up and serving (no dependency touched: restarts do not cascade)."""
    response = JsonResponse({"status": "ok", "environment": settings.ENVIRONMENT})
    add_never_cache_headers(response)
    return response
