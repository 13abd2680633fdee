"""``python manage.py replay_webhooks``: process FAILED webhook events again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from payments.services.webhooks import webhook_events_replay


class Command(BaseCommand):
    help = "Re-processes stored Asaas webhook events whose processing failed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = webhook_events_replay(limit=options["limit"])
        if not counts:
            self.stdout.write("Nenhum evento para reprocessar.")
            return
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Eventos reprocessados — {summary}."))
