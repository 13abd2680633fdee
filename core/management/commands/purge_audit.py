"""``python manage.py purge_audit``: delete audit records older than the retention period.

The retention cannot go below ``MINIMUM_RETENTION_DAYS`` (seven years, LGPD accountability)
unless ``--force`` is given; every run is recorded (``AuditPurge``: when, by whom, how many).
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, Patient
from core.models import AccessLog, AuditPurge
from professionals.models import Professional

AUDITED_MODELS = (Appointment, Patient, Professional)
MINIMUM_RETENTION_DAYS = 2555


@transaction.atomic
def audit_purge(
    *, older_than_days: int, performed_by: str = "", forced: bool = False
) -> dict[str, int]:
    """Delete read logs and change history older than ``older_than_days`` and record the
    purge; returns the counts."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    counts = {"access_logs": AccessLog.objects.filter(created_at__lt=cutoff).delete()[0]}
    for model in AUDITED_MODELS:
        history = model.history.filter(history_date__lt=cutoff)
        counts[f"{model._meta.model_name}_history"] = history.delete()[0]
    AuditPurge.objects.create(
        performed_by=performed_by[:150],
        retention_days=older_than_days,
        cutoff=cutoff,
        forced=forced,
        counts=counts,
        total=sum(counts.values()),
    )
    return counts


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        return "?"


class Command(BaseCommand):
    help = (
        "Deletes access logs and change history older than AUDIT_RETENTION_DAYS "
        f"(at least {MINIMUM_RETENTION_DAYS} days unless --force); records the purge."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: the AUDIT_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=f"Accept a retention below {MINIMUM_RETENTION_DAYS} days.",
        )
        parser.add_argument(
            "--by", default="", help="Who runs the purge (default: the operating-system user)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError("A retenção deve ser de pelo menos 1 dia.")
        if days < MINIMUM_RETENTION_DAYS and not options["force"]:
            raise CommandError(
                f"Retenção de {days} dias abaixo do mínimo de {MINIMUM_RETENTION_DAYS} "
                "(7 anos); use --force para confirmar."
            )
        by = options["by"] or _operator()
        counts = audit_purge(older_than_days=days, performed_by=by, forced=options["force"])
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Registros com mais de {days} dias apagados — {summary}.")
        )
