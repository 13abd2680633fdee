"""``python manage.py purge_idempotency_keys``: delete expired ``Idempotency-Key`` records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.api.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Deletes Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS (24 h)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help="Age in hours (default and minimum: the IDEMPOTENCY_KEY_TTL_HOURS setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ttl = settings.IDEMPOTENCY_KEY_TTL_HOURS
        hours = options["hours"] if options["hours"] is not None else ttl
        if hours < ttl:
            # A younger key may still be replayed: deleting it would allow a second effect.
            raise CommandError(f"O mínimo é {ttl} horas (IDEMPOTENCY_KEY_TTL_HOURS).")
        deleted = idempotency_keys_purge(older_than=timedelta(hours=hours))
        self.stdout.write(
            self.style.SUCCESS(f"{deleted} chaves de idempotência com mais de {hours} h apagadas.")
        )
