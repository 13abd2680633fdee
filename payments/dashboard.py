"""Data of the admin's payments dashboard (charts drawn by payments/static/payments/dashboard.js).

Money goes to the page as strings with two places (never floats in Python); the page parses
them for drawing only and labels them with the one money format (``R$ 1.234,56``).
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.formatting import format_brl
from payments.metrics import integration_health, payment_daily_metrics
from payments.models import PaymentTransaction, TransactionStatus, WebhookEvent, WebhookOutcome

ZERO = Decimal("0.00")
COUNTS = ("charges", "paid", "failed")
MONEY = ("paid_amount", "platform_revenue", "professional_payouts")


def _failed_calls_by_day(days: int) -> dict[dt.date, int]:
    start = timezone.localdate() - timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    rows = (
        PaymentTransaction.objects.filter(created_at__gte=since, status=TransactionStatus.FAILED)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {row["day"]: row["n"] for row in rows}


def webhook_backlog() -> dict[str, int]:
    stranded = timezone.now() - timedelta(seconds=settings.WEBHOOK_STRANDED_AFTER_SECONDS)
    return {
        "waiting": WebhookEvent.objects.filter(outcome=WebhookOutcome.RECEIVED).count(),
        "stranded": WebhookEvent.objects.filter(
            outcome=WebhookOutcome.RECEIVED, received_at__lt=stranded
        ).count(),
        "failed": WebhookEvent.objects.filter(outcome=WebhookOutcome.FAILED).count(),
    }


def dashboard_data(*, days: int = 14) -> dict[str, Any]:
    """Oldest day first (charts read left to right)."""
    daily = list(reversed(payment_daily_metrics(days=days)))
    failed_calls = _failed_calls_by_day(days)
    labels = [dt.date.fromisoformat(row["date"]).strftime("%d/%m") for row in daily]
    totals: dict[str, Any] = {key: sum(row[key] for row in daily) for key in COUNTS}
    for key in MONEY:
        totals[key] = format_brl(sum((Decimal(row[key]) for row in daily), start=ZERO))
    return {
        "days": days,
        "labels": labels,
        "charges": [row["charges"] for row in daily],
        "paid": [row["paid"] for row in daily],
        "failed": [row["failed"] for row in daily],
        "failed_calls": [failed_calls.get(dt.date.fromisoformat(row["date"]), 0) for row in daily],
        "paid_amount": [row["paid_amount"] for row in daily],
        "platform_revenue": [row["platform_revenue"] for row in daily],
        "professional_payouts": [row["professional_payouts"] for row in daily],
        "webhooks_last_24h": integration_health()["webhooks_last_24h"],
        "backlog": webhook_backlog(),
        "totals": totals,
    }
