"""``python manage.py wait_for_db``: block until the database accepts connections."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connections


class Command(BaseCommand):
    help = "Waits until the default database answers (for containers and setup scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        deadline = time.monotonic() + options["timeout"]
        connection = connections["default"]
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as error:
                if time.monotonic() >= deadline:
                    raise CommandError(f"Banco de dados indisponível: {error}") from error
                time.sleep(1)
                connection.close()
                continue
            self.stdout.write(self.style.SUCCESS("Banco de dados disponível."))
            return
