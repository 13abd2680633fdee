"""``python manage.py purge_audit``: delete audit records older than the retention period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from appointments.models import Appointment, Patient
from core.models import AccessLog
from professionals.models import Professional

AUDITED_MODELS = (Appointment, Patient, Professional)


def audit_purge(*, older_than_days: int) -> dict[str, int]:
    """Delete read logs and change history older than ``older_than_days``; returns counts."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    counts = {"access_logs": AccessLog.objects.filter(created_at__lt=cutoff).delete()[0]}
    for model in AUDITED_MODELS:
        history = model.history.filter(history_date__lt=cutoff)
        counts[f"{model._meta.model_name}_history"] = history.delete()[0]
    return counts


class Command(BaseCommand):
    help = "Deletes access logs and change history older than AUDIT_RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: the AUDIT_RETENTION_DAYS setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError("A retenção deve ser de pelo menos 1 dia.")
        counts = audit_purge(older_than_days=days)
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Registros com mais de {days} dias apagados — {summary}.")
        )
