"""``python manage.py seed``: demo data, or volume data for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.seeding import seed_demo, seed_volume
from professionals.models import Professional


class Command(BaseCommand):
    help = (
        "Seeds the database. Without counts: the demo data (5 professionals × 3 future "
        "appointments). With --professionals/--appointments-per-professional: volume data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--professionals", type=int, default=None)
        parser.add_argument("--appointments-per-professional", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has professionals.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Professional.objects.exists():
            self.stdout.write("O banco já tem dados: nada a semear (--if-empty).")
            return
        professionals = options["professionals"]
        per_professional = options["appointments_per_professional"]
        if professionals is None and per_professional is None:
            created = seed_demo()
            self.stdout.write(
                self.style.SUCCESS(f"Dados de demonstração: {len(created)} profissionais.")
            )
            return
        professionals = professionals or 0
        per_professional = per_professional or 0
        if professionals < 0 or per_professional < 0 or options["batch_size"] < 1:
            raise CommandError("As quantidades devem ser positivas.")
        total = professionals * per_professional
        started = time.perf_counter()
        with tqdm(
            total=total, unit="consulta", disable=options["no_progress"], file=self.stderr
        ) as bar:
            made, written = seed_volume(
                professionals=professionals,
                appointments_per_professional=per_professional,
                batch_size=options["batch_size"],
                progress=bar.update,
            )
        elapsed = time.perf_counter() - started
        rate = written / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"{made} profissionais e {written} consultas em {elapsed:.1f} s "
                f"({rate:,.0f} consultas/s)."
            )
        )
