"""``manage.py reconcile_payments``: compare our charges with Asaas and report drift."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from payments.services.asaas_service import AsaasError
from payments.services.reconcile import DRIFT_KINDS, payments_reconcile


def _since(value: str) -> datetime:
    if value.endswith("d") and value[:-1].isdigit():
        return timezone.now() - timedelta(days=int(value[:-1]))
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since: use YYYY-MM-DD, an ISO datetime or Nd, not {value!r}")
        parsed = datetime.combine(day, datetime.min.time())
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = (
        "Compare our charges with Asaas (by payment id, and by externalReference for charges "
        "we do not know), report drift by kind; --fix applies Asaas's state. Exits 1 while "
        "drift remains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Only charges changed since (YYYY-MM-DD, ISO, 7d).")
        parser.add_argument("--fix", action="store_true", help="Apply Asaas's state.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _since(options["since"]) if options["since"] else None
        try:
            report = payments_reconcile(since=since, fix=options["fix"])
        except AsaasError as error:
            raise CommandError(f"Asaas did not answer: {type(error).__name__}") from error
        run = report.run
        remaining = run.drift_found
        if options["fix"] and run.drift_found:
            remaining = payments_reconcile(since=since, fix=False).run.drift_found
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "checked": run.checked,
                        "drift_found": run.drift_found,
                        "drift_fixed": run.drift_fixed,
                        "drift_remaining": remaining,
                        "drift_by_kind": run.drift_by_kind,
                        "errors": report.errors,
                        "drifts": [vars(drift) for drift in report.drifts],
                    },
                    indent=2,
                )
            )
        else:
            self.stdout.write(f"Cobranças verificadas: {run.checked}")
            self.stdout.write(f"{'tipo':<18} {'divergências':>12}")
            for kind in DRIFT_KINDS:
                self.stdout.write(f"{kind:<18} {run.drift_by_kind.get(kind, 0):>12}")
            for drift in report.drifts[:50]:
                self.stdout.write(
                    f"  consulta {drift.appointment_id} {drift.asaas_payment_id} {drift.kind}: "
                    f"nosso={drift.ours} asaas={drift.asaas}"
                )
            for problem in report.errors:
                self.stderr.write(f"erro: {problem}")
            if options["fix"]:
                self.stdout.write(f"Corrigidas: {run.drift_fixed}; restantes: {remaining}")
        if remaining or report.errors:
            raise SystemExit(1)
