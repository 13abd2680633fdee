"""The volume loader on a small data set: a coherent clinic agenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from appointments.models import Appointment, PaymentStatus
from bench.datasets import BENCH_USERNAME
from bench.loader import dataset_load, slots_per_day
from payments.metrics import payment_daily_metrics
from payments.models import Charge, ChargeStatus, PaymentTransaction
from professionals.models import WorkingHoursRule

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2025, 6, 18, 15, 0, tzinfo=dt.UTC)


def _one(sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


@pytest.fixture
def loaded(db: None, django_assert_max_num_queries: Any) -> Any:
    # Set-based: the number of statements does not grow with the data set.
    with django_assert_max_num_queries(40):
        return dataset_load(professionals=3, per_professional=50, now=NOW)


def test_counts(loaded: Any) -> None:
    assert (loaded.professionals, loaded.appointments) == (3, 150)
    assert Appointment.objects.count() == 150
    assert WorkingHoursRule.objects.count() == 3 * 5


def test_no_two_appointments_of_a_professional_overlap(loaded: Any) -> None:
    overlaps = _one(
        """SELECT count(*) FROM appointments_appointment a
           JOIN appointments_appointment b
             ON a.professional_id = b.professional_id AND a.id < b.id
            AND tstzrange(a.date, a."end") && tstzrange(b.date, b."end")"""
    )
    assert overlaps == 0


def test_every_appointment_is_inside_working_hours(loaded: Any) -> None:
    outside = _one(
        """SELECT count(*) FROM appointments_appointment
           WHERE extract(isodow FROM date AT TIME ZONE 'America/Sao_Paulo') > 5
              OR NOT (
                   ((date AT TIME ZONE 'America/Sao_Paulo')::time >= '08:00'
                    AND ("end" AT TIME ZONE 'America/Sao_Paulo')::time <= '12:00')
                OR ((date AT TIME ZONE 'America/Sao_Paulo')::time >= '13:00'
                    AND ("end" AT TIME ZONE 'America/Sao_Paulo')::time <= '18:00'))"""
    )
    assert outside == 0
    # One slot length per professional, the one its working-hours rules say.
    mismatched = _one(
        """SELECT count(*) FROM appointments_appointment a
           JOIN professionals_workinghoursrule r ON r.professional_id = a.professional_id
           WHERE r.slot_minutes <> a.duration_minutes"""
    )
    assert mismatched == 0
    assert set(Appointment.objects.values_list("duration_minutes", flat=True)) == {30, 45, 60}


def test_spread_over_several_years(loaded: Any) -> None:
    years = set(Appointment.objects.values_list("date__year", flat=True))
    assert {2023, 2024, 2025, 2026, 2027} <= years
    assert (slots_per_day(30), slots_per_day(45), slots_per_day(60)) == (18, 11, 9)


def test_patients_are_reused(loaded: Any) -> None:
    with_patient = Appointment.objects.filter(patient__isnull=False)
    assert 0.8 * 150 <= with_patient.count() < 150
    assert with_patient.values("patient").distinct().count() < with_patient.count() / 2


def test_charges_paid_share_and_ledger(loaded: Any) -> None:
    billed = Appointment.objects.exclude(status=PaymentStatus.NOT_BILLED)
    assert 0.4 * 150 <= billed.count() <= 0.9 * 150
    paid = billed.filter(status=PaymentStatus.PAID)
    assert paid.count() >= 0.4 * billed.count()
    assert billed.filter(status=PaymentStatus.PROCESSING, date__gt=NOW).exists()
    assert not billed.filter(patient__isnull=True).exists()
    assert Charge.objects.count() == billed.count() == loaded.charges
    assert PaymentTransaction.objects.count() == billed.count()
    assert Charge.objects.filter(status=ChargeStatus.PAID).count() == paid.count()
    for appointment in billed.select_related("charge"):
        assert appointment.charge.asaas_payment_id == appointment.asaas_payment_id
        assert appointment.charge.value == appointment.total_amount
        assert appointment.platform_amount is not None
        assert appointment.professional_amount is not None
        assert appointment.total_amount == (
            appointment.platform_amount + appointment.professional_amount
        )
        assert appointment.platform_amount == (appointment.total_amount * Decimal("0.15")).quantize(
            Decimal("0.01")
        )
    assert not paid.filter(paid_at__isnull=True).exists()
    assert not paid.filter(paid_at__gt=NOW).exists()
    past = Appointment.objects.filter(date__lt=NOW)
    assert not past.filter(booking_status__in=["SCHEDULED", "CONFIRMED"]).exists()
    assert not past.filter(status=PaymentStatus.PROCESSING).exists()
    assert not Appointment.objects.filter(created_at__gt=NOW).exists()


def test_payment_metrics_agree_with_the_rows(db: None, staff_user: Any) -> None:
    """Loaded relative to the real clock, the metrics endpoint's daily figures add up to the
    billed appointments the loader wrote in that window."""
    from django.utils import timezone
    from rest_framework.test import APIClient

    dataset_load(professionals=3, per_professional=50)
    client = APIClient()
    client.force_authenticate(staff_user)
    response = client.get("/api/payments/metrics/?days=30")
    assert response.status_code == 200
    rows = response.json()["daily"]
    assert rows == payment_daily_metrics(days=30)
    start = timezone.localdate() - dt.timedelta(days=29)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=timezone.get_current_timezone())
    billed = Appointment.objects.exclude(status=PaymentStatus.NOT_BILLED).filter(
        created_at__gte=since
    )
    assert billed.exists(), "future appointments were booked in the last 30 days"
    assert sum(row["charges"] for row in rows) == billed.count()
    assert sum(row["paid"] for row in rows) == billed.filter(status=PaymentStatus.PAID).count()


def test_staff_user_for_the_runs(loaded: Any) -> None:
    from django.contrib.auth import get_user_model

    from bench.datasets import BENCH_PASSWORD

    user = get_user_model().objects.get(username=BENCH_USERNAME)
    assert user.is_staff
    assert user.check_password(BENCH_PASSWORD)


def test_refuses_a_database_that_already_has_appointments(loaded: Any) -> None:
    with pytest.raises(RuntimeError, match="already has appointments"):
        dataset_load(professionals=1, per_professional=1, now=NOW)


def test_large_load_path_rebuilds_indexes_and_the_no_overlap_constraint(db: None) -> None:
    def schema() -> tuple[set[str], set[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN "
                "('appointments_appointment', 'payments_charge', 'payments_paymenttransaction')"
            )
            indexes = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'appointments_appointment'::regclass AND contype = 'x'"
            )
            return indexes, {row[0] for row in cursor.fetchall()}

    before = schema()
    assert "appointment_no_overlap" in before[1]
    result = dataset_load(professionals=2, per_professional=20, now=NOW, rebuild_indexes=True)
    assert result.appointments == 40
    assert schema() == before
    # Foreign-key triggers were skipped on that path: every reference still resolves.
    orphans = _one(
        """SELECT count(*) FROM appointments_appointment a
           LEFT JOIN professionals_professional p ON p.id = a.professional_id
           LEFT JOIN appointments_patient pa ON pa.id = a.patient_id
           WHERE p.id IS NULL OR (a.patient_id IS NOT NULL AND pa.id IS NULL)"""
    )
    assert orphans == 0
    assert _one("SHOW session_replication_role") == "origin"


def test_too_many_appointments_for_the_grid(db: None) -> None:
    with pytest.raises(ValueError, match="do not fit"):
        dataset_load(professionals=1, per_professional=100_000, now=NOW)
