"""The free-slot search stays index-backed (PostgreSQL) and the benchmark command runs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from appointments.availability import busy_queryset
from appointments.models import Appointment
from core.seeding import seed_volume
from professionals.models import ScheduleException, WorkingHoursRule

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_appointment_lookup_uses_the_professional_date_index() -> None:
    seed_volume(professionals=4, appointments_per_professional=2000)  # 100 days each
    first = Appointment.objects.order_by("date").first()
    assert first is not None
    professional_id, start = first.professional_id, first.date

    with transaction.atomic(), connection.cursor() as cursor:
        # Tiny tables make a sequential scan cheapest; forbid it to see which index serves.
        cursor.execute("ANALYZE appointments_appointment")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = busy_queryset(
            professional_ids=[professional_id], start=start, end=start + dt.timedelta(days=7)
        ).explain()

    # Index-backed on the professional (the planner picks the (professional, date) index or
    # the professional's foreign-key index, depending on the statistics), never a full scan;
    # the date range is bounded below by start - MAX_DURATION_MINUTES.
    assert "Seq Scan" not in plan, plan
    [condition] = [line for line in plan.splitlines() if "Index Cond" in line]
    assert "professional_id" in condition, plan
    assert "date >=" in plan, plan


def test_rule_and_exception_lookups_are_indexed() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        rules = WorkingHoursRule.objects.filter(professional_id__in=[1, 2]).explain()
        exceptions = ScheduleException.objects.filter(
            professional_id__in=[1, 2], date__gte="2030-01-01", date__lte="2030-01-31"
        ).explain()
        holidays = ScheduleException.objects.filter(
            professional__isnull=True, date__gte="2030-01-01", date__lte="2030-01-31"
        ).explain()

    for plan in (rules, exceptions, holidays):
        assert "Index" in plan, plan
        assert "Seq Scan" not in plan, plan
    assert "workhours_prof_weekday_idx" in rules


def test_benchmark_command_reports_latency_queries_and_plan() -> None:
    seed_volume(professionals=4, appointments_per_professional=100)
    out = io.StringIO()

    call_command("benchmark_availability", "--samples", "4", "--create-rules", stdout=out)

    text = out.getvalue()
    assert "400 consultas" in text
    assert "regras criadas: 24" in text
    assert "janela de 7 dias" in text
    assert "janela de 31 dias" in text
    assert "2 consultas SQL por busca" in text  # rules and exceptions in one UNION ALL
    assert "quem está livre" in text
    assert "plano das consultas ocupadas" in text
