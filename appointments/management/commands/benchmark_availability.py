"""``python manage.py benchmark_availability``: time the free-slot search on the current data.

Meant for a database filled by ``seed --professionals 1000 --appointments-per-professional
1000`` (1,000,000 appointments). Reports the latency of the per-professional search (a 7-day
and a ``--days`` window) and of the "who is free on this day" search, the queries each makes,
and the plan PostgreSQL uses for the appointments query (it must be an index scan).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Min
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.availability import MAX_WINDOW_DAYS, availability_search, busy_queryset
from appointments.models import Appointment
from professionals.models import Professional, WorkingHoursRule


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"


class Command(BaseCommand):
    help = "Mede a busca de horários livres nos dados atuais (use um banco de benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=50)
        parser.add_argument("--days", type=int, default=MAX_WINDOW_DAYS)
        parser.add_argument(
            "--create-rules",
            action="store_true",
            help="Cria regras (seg–sáb 08:00–18:00, 30 min) para quem não tem nenhuma.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        samples: int = options["samples"]
        days: int = options["days"]
        if not 1 <= days <= MAX_WINDOW_DAYS or samples < 1:
            raise CommandError(f"--days entre 1 e {MAX_WINDOW_DAYS}; --samples >= 1.")
        total = Appointment.objects.count()
        ids = list(
            Professional.objects.filter(appointments__isnull=False)
            .distinct()
            .order_by("id")
            .values_list("id", flat=True)[:samples]
        )
        if not ids:
            raise CommandError("Nenhum profissional com consultas: rode o seed de volume antes.")
        if options["create_rules"]:
            self._create_rules()
        first = Appointment.objects.filter(professional_id__in=ids).aggregate(Min("date"))[
            "date__min"
        ]
        assert first is not None
        booked_from = timezone.localtime(first).replace(hour=0, minute=0, second=0, microsecond=0)
        # The volume seed fills 08:00-18:00 every day for its first days: windows from day 45
        # mix fully booked days with free ones; the day search looks at a fully booked day.
        start = booked_from + dt.timedelta(days=45)
        self.stdout.write(
            f"{total} consultas; {len(ids)} profissionais medidos; início {start:%Y-%m-%d}"
        )
        for window in sorted({7, days}):
            self._measure(ids, start, start + dt.timedelta(days=window), f"{window} dias")
        self._measure_day(booked_from + dt.timedelta(days=2))
        self._explain(ids[0], start, start + dt.timedelta(days=days))

    def _create_rules(self) -> None:
        missing = Professional.objects.filter(working_hours__isnull=True).values_list(
            "id", flat=True
        )
        rules = [
            WorkingHoursRule(
                professional_id=pk,
                weekday=weekday,
                start_time=dt.time(8),
                end_time=dt.time(18),
                slot_minutes=30,
            )
            for pk in missing
            for weekday in range(6)
        ]
        WorkingHoursRule.objects.bulk_create(rules, batch_size=5000)
        self.stdout.write(f"regras criadas: {len(rules)}")

    def _measure(self, ids: list[int], start: dt.datetime, end: dt.datetime, label: str) -> None:
        timings: list[float] = []
        queries: list[int] = []
        slots = 0
        for pk in ids:
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                result = availability_search(professional_ids=[pk], start=start, end=end)
                timings.append((time.perf_counter() - began) * 1000)
            queries.append(len(captured.captured_queries))
            slots += len(result[pk][1])
        self.stdout.write(
            f"por profissional, janela de {label}: {_ms(timings)}; "
            f"{max(queries)} consultas SQL por busca; "
            f"{slots / len(ids):.0f} horários livres em média"
        )

    def _measure_day(self, day: dt.datetime) -> None:
        ids = list(
            Professional.objects.filter(working_hours__isnull=False)
            .distinct()
            .values_list("id", flat=True)
        )
        if not ids:
            return
        timings: list[float] = []
        with CaptureQueriesContext(connection) as captured:
            for _round in range(5):
                began = time.perf_counter()
                availability_search(professional_ids=ids, start=day, end=day + dt.timedelta(days=1))
                timings.append((time.perf_counter() - began) * 1000)
        self.stdout.write(
            f"quem está livre em {day:%Y-%m-%d} ({len(ids)} profissionais): {_ms(timings)}; "
            f"{len(captured.captured_queries) // 5} consultas SQL por busca"
        )

    def _explain(self, professional_id: int, start: dt.datetime, end: dt.datetime) -> None:
        if connection.vendor != "postgresql":
            return
        plan = busy_queryset(professional_ids=[professional_id], start=start, end=end).explain(
            analyze=True
        )
        first = plan.splitlines()[0] if plan else ""
        self.stdout.write(f"plano das consultas ocupadas: {first}")
        for line in plan.splitlines()[1:]:
            if "Index" in line or "Execution Time" in line:
                self.stdout.write(f"  {line.strip()}")
