"""``python manage.py reset_db``: empty the database, re-apply migrations, seed demo data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.seeding import seed_demo


class Command(BaseCommand):
    help = (
        "Erases ALL data, re-applies the committed migrations (never generates new ones), "
        "creates the superuser and seeds 5 professionals × 3 future appointments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-input", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--no-seed", action="store_true", help="Skip the demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "ENVIRONMENT", "") == "production":
            raise CommandError("reset_db não pode ser executado com as configurações de produção.")
        database = settings.DATABASES["default"]
        if not options["no_input"]:
            answer = input(
                f"Isto apaga TODOS os dados de '{database['NAME']}'. Digite 'sim' para continuar: "
            )
            if answer.strip().lower() not in {"sim", "s", "yes", "y"}:
                raise CommandError("Cancelado.")
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("ensure_superuser", stdout=self.stdout)
        if not options["no_seed"]:
            professionals = seed_demo()
            self.stdout.write(f"{len(professionals)} profissionais com 3 consultas futuras cada.")
        self.stdout.write(self.style.SUCCESS("Banco de dados reiniciado."))
