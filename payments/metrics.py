"""Daily payment metrics and integration health (staff endpoint and admin changelist)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from appointments.models import Appointment, PaymentStatus
from core.db import db_datetime
from payments.models import (
    PaymentTransaction,
    ReconciliationRun,
    TransactionStatus,
    WebhookEvent,
    WebhookOutcome,
)
from professionals.models import IntegrationStatus, Professional

ZERO = Decimal("0.00")


def payment_daily_metrics(*, days: int = 7) -> list[dict[str, Any]]:
    """One row per local day (newest first) of billed appointments, by creation day."""
    start = timezone.localdate() - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    rows = (
        Appointment.objects.filter(created_at__gte=since)
        .exclude(status=PaymentStatus.NOT_BILLED)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            charges=Count("id"),
            paid=Count("id", filter=Q(status=PaymentStatus.PAID)),
            failed=Count("id", filter=Q(status=PaymentStatus.FAILED)),
            canceled=Count("id", filter=Q(status=PaymentStatus.CANCELED)),
            refunded=Count("id", filter=Q(status=PaymentStatus.REFUNDED)),
            billed_amount=Sum("total_amount"),
            paid_amount=Sum("total_amount", filter=Q(status=PaymentStatus.PAID)),
            platform_revenue=Sum("platform_amount", filter=Q(status=PaymentStatus.PAID)),
            professional_payouts=Sum("professional_amount", filter=Q(status=PaymentStatus.PAID)),
            refunded_amount=Sum("refunded_amount"),
        )
    )
    by_day = {row["day"]: row for row in rows}
    money = (
        "billed_amount",
        "paid_amount",
        "platform_revenue",
        "professional_payouts",
        "refunded_amount",
    )
    result = []
    for offset in range(days):
        day = timezone.localdate() - dt.timedelta(days=offset)
        row = by_day.get(day, {})
        entry: dict[str, Any] = {"date": day.isoformat()}
        for key in ("charges", "paid", "failed", "canceled", "refunded"):
            entry[key] = row.get(key) or 0
        for key in money:
            # Quantized: SQLite sums lose the scale (Decimal("220.5")), PostgreSQL keeps it.
            entry[key] = str(Decimal(row.get(key) or ZERO).quantize(ZERO))
        entry["conversion_rate"] = (
            round(entry["paid"] / entry["charges"], 4) if entry["charges"] else 0.0
        )
        result.append(entry)
    return result


def _scalars(queries: dict[str, QuerySet[Any]]) -> dict[str, Any]:
    """Each query's single value (a count or a latest date), all in ONE statement of scalar
    subqueries (``SELECT (SELECT ...), (SELECT ...)``), compiled by the ORM."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in queries.values():
        sql, sub_params = queryset.query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(queries, row, strict=True))


def _count(queryset: QuerySet[Any]) -> QuerySet[Any]:
    # Grouped by a constant (left out of GROUP BY): one row, the count of all that match.
    grouped = queryset.order_by().annotate(one=Value(1)).values("one")
    counted: QuerySet[Any] = grouped.annotate(n=Count("*")).values("n")
    return counted


def integration_health() -> dict[str, Any]:
    day_ago = timezone.now() - dt.timedelta(hours=24)
    recent = WebhookEvent.objects.filter(received_at__gte=day_ago)
    queries: dict[str, QuerySet[Any]] = {
        **{
            f"professionals:{status}": _count(
                Professional.objects.filter(integration_status=status)
            )
            for status in IntegrationStatus
        },
        **{
            f"webhooks:{outcome}": _count(recent.filter(outcome=outcome))
            for outcome in WebhookOutcome
        },
        "last_webhook_at": WebhookEvent.objects.order_by("-received_at").values("received_at")[:1],
        "failed_calls": _count(
            PaymentTransaction.objects.filter(
                created_at__gte=day_ago, status=TransactionStatus.FAILED
            )
        ),
        "pending": _count(Appointment.objects.filter(status=PaymentStatus.PENDING)),
        "failed": _count(Appointment.objects.filter(status=PaymentStatus.FAILED)),
    }
    values = _scalars(queries)
    last_webhook = db_datetime(values["last_webhook_at"])
    return {
        "professionals": {
            status: values[f"professionals:{status}"] or 0 for status in IntegrationStatus
        },
        "webhooks_last_24h": {
            outcome: values[f"webhooks:{outcome}"] or 0 for outcome in WebhookOutcome
        },
        "last_webhook_at": last_webhook.isoformat() if last_webhook else None,
        "charges_awaiting_creation": values["pending"] or 0,
        "charges_failed": values["failed"] or 0,
        "asaas_failed_calls_last_24h": values["failed_calls"] or 0,
    }


def reconciliation_health() -> dict[str, Any]:
    last = ReconciliationRun.objects.filter(finished_at__isnull=False).first()
    if last is None:
        return {
            "last_run_at": None,
            "checked": 0,
            "drift_found": 0,
            "drift_fixed": 0,
            "drift_by_kind": {},
        }
    assert last.finished_at is not None
    return {
        "last_run_at": last.finished_at.isoformat(),
        "checked": last.checked,
        "drift_found": last.drift_found,
        "drift_fixed": last.drift_fixed,
        "drift_by_kind": last.drift_by_kind,
    }


def payment_metrics_cached(*, days: int = 7) -> dict[str, Any]:
    """``payment_metrics`` as computed at most ``PAYMENT_METRICS_CACHE_SECONDS`` ago (in the
    cache, per number of days and local date): the daily rows aggregate every charge created
    in the window — 66 ms for the 57,000 of a week at 8,000 a day — and a dashboard asks
    again and again. 0 computes them on every request."""
    seconds = settings.PAYMENT_METRICS_CACHE_SECONDS
    if seconds <= 0:
        return payment_metrics(days=days)
    key = f"payments:metrics:{days}:{timezone.localdate().isoformat()}"
    held: dict[str, Any] | None = cache.get(key)
    if held is not None:
        return held
    metrics = payment_metrics(days=days)
    cache.set(key, metrics, seconds)
    return metrics


def payment_metrics(*, days: int = 7) -> dict[str, Any]:
    return {
        "daily": payment_daily_metrics(days=days),
        "health": integration_health(),
        "reconciliation": reconciliation_health(),
    }
