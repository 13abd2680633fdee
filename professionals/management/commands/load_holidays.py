"""``python manage.py load_holidays [--years 2026 2027]``: Brazilian national holidays.

From the maintained ``holidays`` library; each becomes a national HOLIDAY exception (no
working hours that day for anyone, unless a professional adds extra hours). Safe to re-run.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from professionals.schedule.services import holidays_load


class Command(BaseCommand):
    help = "Carrega os feriados nacionais do Brasil (biblioteca holidays) como exceções de horário."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years",
            nargs="+",
            type=int,
            help="Anos (padrão: o atual e o próximo).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        this_year = timezone.localdate().year
        years: list[int] = options["years"] or [this_year, this_year + 1]
        if any(not 2000 <= year <= 2100 for year in years):
            raise CommandError("Use anos entre 2000 e 2100.")
        created, updated = holidays_load(years=sorted(set(years)))
        self.stdout.write(
            self.style.SUCCESS(
                f"Feriados nacionais de {', '.join(map(str, sorted(set(years))))}: "
                f"{created} criados, {updated} atualizados."
            )
        )
