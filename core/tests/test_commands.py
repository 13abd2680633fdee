from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pytest_django.fixtures import Settings

from appointments.models import Appointment, Patient
from core.documents import is_valid_cpf
from core.seeding import DEMO_PATIENTS, DEMO_PROFESSIONALS, SLOTS_PER_DAY, seed_volume, slot_start
from professionals.models import Professional

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_reset_db_wipes_and_seeds_demo_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "s3nha-forte-do-admin")
    Professional.objects.create(
        preferred_name="Antigo", profession="X", address="Y", contact="antigo@example.com"
    )
    output = run("reset_db", "--no-input")
    assert "Banco de dados reiniciado" in output
    assert not Professional.objects.filter(preferred_name="Antigo").exists()
    assert Professional.objects.count() == len(DEMO_PROFESSIONALS) == 5
    assert Appointment.objects.count() == 15
    assert Patient.objects.count() == len(DEMO_PATIENTS) == 3
    assert all(is_valid_cpf(cpf) for cpf in Patient.objects.values_list("cpf", flat=True))
    ready = Professional.objects.exclude(cpf_cnpj="").exclude(email=None)
    assert ready.count() == 5  # onboarding data present: the worker can give them wallets
    assert all(is_valid_cpf(p.cpf_cnpj) for p in ready)
    now = timezone.now()
    assert not Appointment.objects.filter(date__lte=now).exists()
    for professional in Professional.objects.all():
        assert professional.appointments.count() == 3
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password("s3nha-forte-do-admin")


@pytest.mark.django_db(transaction=True)
def test_reset_db_no_seed_leaves_tables_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "outra-senha-forte")
    run("reset_db", "--no-input", "--no-seed")
    assert Professional.objects.count() == 0
    assert get_user_model().objects.filter(username="admin").exists()


def test_reset_db_asks_for_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    Professional.objects.create(
        preferred_name="Fica", profession="X", address="Y", contact="fica@example.com"
    )
    monkeypatch.setattr("builtins.input", lambda prompt: "não")
    with pytest.raises(CommandError, match="Cancelado"):
        run("reset_db")
    assert Professional.objects.filter(preferred_name="Fica").exists()


def test_reset_db_refuses_production(settings: Settings) -> None:
    settings.ENVIRONMENT = "production"
    Professional.objects.create(
        preferred_name="Fica", profession="X", address="Y", contact="fica@example.com"
    )
    with pytest.raises(CommandError, match="produção"):
        run("reset_db", "--no-input")
    assert Professional.objects.count() == 1


def test_seed_demo_and_if_empty() -> None:
    run("seed")
    assert Professional.objects.count() == 5
    output = run("seed", "--if-empty")
    assert "nada a semear" in output
    assert Professional.objects.count() == 5


def test_seed_volume_creates_non_overlapping_rows() -> None:
    output = run(
        "seed", "--professionals", "3", "--appointments-per-professional", "45", "--no-progress"
    )
    assert "3 profissionais e 135 consultas" in output
    assert Appointment.objects.count() == 135
    for professional in Professional.objects.all():
        rows = list(professional.appointments.order_by("date").values_list("date", "end"))
        assert len(rows) == 45
        assert all(prev_end <= start for (_, prev_end), (start, _) in itertools.pairwise(rows))
        assert all(end > start for start, end in rows)


def test_seed_volume_function_reports_progress_in_batches() -> None:
    calls: list[int] = []
    made, written = seed_volume(
        professionals=2, appointments_per_professional=7, batch_size=5, progress=calls.append
    )
    assert (made, written) == (2, 14)
    assert calls == [5, 5, 4]


def test_seed_rejects_negative_counts() -> None:
    with pytest.raises(CommandError):
        run("seed", "--professionals", "-1", "--appointments-per-professional", "2")


def test_slot_start_wraps_to_next_day_in_local_time() -> None:
    first_day = timezone.localdate()
    first = timezone.localtime(slot_start(0, first_day=first_day))
    last_of_day = timezone.localtime(slot_start(SLOTS_PER_DAY - 1, first_day=first_day))
    next_day = timezone.localtime(slot_start(SLOTS_PER_DAY, first_day=first_day))
    assert (first.hour, first.minute) == (8, 0)
    assert (last_of_day.hour, last_of_day.minute) == (17, 30)
    assert next_day.date() == first_day + dt.timedelta(days=1)
    assert (next_day.hour, next_day.minute) == (8, 0)


def test_ensure_superuser_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "operadora")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "primeira-senha")
    assert "criado" in run("ensure_superuser")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "segunda-senha")
    assert "atualizado" in run("ensure_superuser")
    user = get_user_model().objects.get(username="operadora")
    assert user.check_password("segunda-senha")
    assert get_user_model().objects.filter(username="operadora").count() == 1


def test_ensure_superuser_requires_password_outside_debug(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        run("ensure_superuser")


def test_wait_for_db_returns_when_database_answers() -> None:
    assert "disponível" in run("wait_for_db", "--timeout", "5")


# --- the development password "admin" and the password validators ---------------------------


def test_ensure_superuser_refuses_admin_on_postgres_with_debug_only_by_default(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """DEBUG on by the development settings' default (not in the environment) on a database
    that is not the local SQLite file: no 'admin' password."""
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.delenv("DEBUG", raising=False)
    settings.DEBUG = True
    get_user_model().objects.create_superuser("admin", "a@example.com", "Senha-forte-antiga-1")

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        run("ensure_superuser")

    assert get_user_model().objects.get(username="admin").check_password("Senha-forte-antiga-1")


def test_ensure_superuser_uses_admin_with_debug_explicitly_on(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.setenv("DEBUG", "true")
    settings.DEBUG = True

    run("ensure_superuser")

    assert get_user_model().objects.get(username="admin").check_password("admin")


@pytest.mark.parametrize("password", ["1", "12345678", "password", "operadora1"])
def test_ensure_superuser_runs_the_password_validators(
    password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "operadora1")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)

    with pytest.raises(CommandError):
        run("ensure_superuser")

    assert not get_user_model().objects.filter(username="operadora1").exists()


def test_create_professional_user_runs_the_password_validators() -> None:
    professional = Professional.objects.create(
        preferred_name="Dra. Fraca", profession="X", address="Y", contact="fraca@example.com"
    )

    with pytest.raises(CommandError, match=r"curta|comum|numérica"):
        run(
            "create_professional_user",
            "--professional",
            str(professional.pk),
            "--username",
            "fraca",
            "--password",
            "1",
        )

    assert not get_user_model().objects.filter(username="fraca").exists()
