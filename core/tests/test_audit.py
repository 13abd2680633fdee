"""Audit trail: change history (who, when, from which IP) for patients and appointments,
read-access log, both read-only in the admin, purged past the retention period; and the
command that gives a professional their login."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from appointments.models import Appointment, Patient
from core.models import AccessAction, AccessLog
from core.tests.access_fixtures import (
    PASSWORD,
    World,
    build_world,
    make_patient,
    new_cpf,
)
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.7"
FAR_SLOT = (dt.datetime.now(dt.UTC) + dt.timedelta(days=450)).replace(
    minute=0, second=0, microsecond=0
)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def token_client(user: Any, ip: str = CLIENT_IP) -> APIClient:
    """A real bearer token (not force_authenticate): the audit sees what production sees."""
    client = APIClient(REMOTE_ADDR=ip, HTTP_USER_AGENT="clinica-app/2.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


# --- change history ---------------------------------------------------------------------------


def test_patient_changes_are_recorded_with_user_and_ip(world: World) -> None:
    client = token_client(world.staff)

    created = client.post(
        "/api/patients/", {"name": "Paciente Auditado", "cpf": new_cpf()}, format="json"
    )
    pk = created.json()["id"]
    updated = client.patch(f"/api/patients/{pk}/", {"phone": "11977776666"}, format="json")
    deleted = client.delete(f"/api/patients/{pk}/")

    assert (created.status_code, updated.status_code, deleted.status_code) == (201, 200, 204)
    rows = list(Patient.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [row.history_type for row in rows] == ["+", "~", "-"]
    assert {row.history_user for row in rows} == {world.staff}
    assert {row.ip_address for row in rows} == {CLIENT_IP}
    assert rows[1].phone == "11977776666"
    assert not Patient.objects.filter(pk=pk).exists()


def test_appointment_changes_are_recorded_with_user_and_ip(world: World) -> None:
    client = token_client(world.user_a, ip="2001:db8::15")

    created = client.post(
        "/api/appointments/",
        {"date": FAR_SLOT.isoformat(), "professional": world.prof_a.pk},
        format="json",
    )
    pk = created.json()["id"]
    updated = client.patch(f"/api/appointments/{pk}/", {"duration_minutes": 50}, format="json")
    deleted = client.delete(f"/api/appointments/{pk}/")

    assert (created.status_code, updated.status_code, deleted.status_code) == (201, 200, 204)
    rows = list(Appointment.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [row.history_type for row in rows] == ["+", "~", "-"]
    assert {row.history_user for row in rows} == {world.user_a}
    assert {row.ip_address for row in rows} == {"2001:db8::15"}
    assert rows[1].duration_minutes == 50


def test_professional_changes_are_recorded(world: World) -> None:
    response = token_client(world.user_a).patch(
        f"/api/professionals/{world.prof_a.pk}/",
        {"profession": "Terapeuta Ocupacional"},
        format="json",
    )

    assert response.status_code == 200, response.data
    last = Professional.history.filter(id=world.prof_a.pk).latest("history_date", "history_id")
    assert (last.history_type, last.history_user, last.ip_address) == (
        "~",
        world.user_a,
        CLIENT_IP,
    )


# --- read-access log --------------------------------------------------------------------------


def test_retrieving_a_patient_is_logged(world: World) -> None:
    client = token_client(world.user_a)

    response = client.get(f"/api/patients/{world.patient_a.pk}/?ref=52998224725&x=1")

    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert log.actor == world.user_a
    assert log.actor_username == "prof-a"
    assert log.action == AccessAction.RETRIEVE
    assert log.content_type == ContentType.objects.get_for_model(Patient)
    assert log.object_id == str(world.patient_a.pk)
    assert log.ip_address == CLIENT_IP
    assert log.user_agent == "clinica-app/2.1"
    assert log.path == f"/api/patients/{world.patient_a.pk}/"
    assert timezone.now() - log.created_at < dt.timedelta(minutes=1)


def test_retrieving_an_appointment_is_logged(world: World) -> None:
    token_client(world.staff).get(f"/api/appointments/{world.appt_b.pk}/")

    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.object_id) == (
        world.staff,
        AccessAction.RETRIEVE,
        str(world.appt_b.pk),
    )
    assert log.content_type == ContentType.objects.get_for_model(Appointment)


def test_refused_reads_write_no_log(world: World) -> None:
    client = token_client(world.user_a)

    assert client.get(f"/api/patients/{world.patient_b.pk}/").status_code == 404
    assert client.get("/api/patients/999999/").status_code == 404
    assert APIClient().get(f"/api/patients/{world.patient_a.pk}/").status_code == 401

    assert not AccessLog.objects.exists()


def insert_count(context: CaptureQueriesContext) -> int:
    return sum(
        1
        for query in context.captured_queries
        if query["sql"].upper().startswith("INSERT") and "core_accesslog" in query["sql"]
    )


@pytest.mark.parametrize(
    ("path", "model"), [("/api/patients/", Patient), ("/api/appointments/", Appointment)]
)
def test_a_list_logs_each_row_in_one_insert(world: World, path: str, model: type) -> None:
    for n in range(5):
        patient = make_patient(f"Paciente Extra {n}")
        AppointmentFactory.create(professional=world.prof_a, patient=patient)
    client = token_client(world.staff)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": 4})

    assert response.status_code == 200
    listed = [row["id"] for row in response.json()["results"]]
    assert len(listed) == 4
    assert insert_count(queries) == 1
    logs = AccessLog.objects.filter(content_type=ContentType.objects.get_for_model(model))
    assert sorted(logs.values_list("object_id", flat=True)) == sorted(str(pk) for pk in listed)
    assert set(logs.values_list("action", flat=True)) == {AccessAction.LIST}
    assert set(logs.values_list("path", flat=True)) == {path}


def test_an_empty_list_logs_nothing(world: World) -> None:
    response = token_client(world.plain).get("/api/patients/")

    assert response.status_code == 403
    assert (
        token_client(world.user_a).get("/api/patients/", {"search": "ninguém"}).json()["results"]
        == []
    )
    assert not AccessLog.objects.exists()


# --- admin ----------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(db: None) -> Client:
    get_user_model().objects.create_superuser(
        username="auditora", email="auditora@example.com", password=PASSWORD
    )
    client = Client()
    assert client.login(username="auditora", password=PASSWORD)
    return client


def test_access_log_is_read_only_in_the_admin(world: World, superuser_client: Client) -> None:
    token_client(world.staff).get(f"/api/patients/{world.patient_a.pk}/")
    log = AccessLog.objects.get()
    change = reverse("admin:core_accesslog_change", args=[log.pk])

    listing = superuser_client.get(reverse("admin:core_accesslog_changelist"))
    detail = superuser_client.get(change)
    post = superuser_client.post(change, {"actor_username": "outra", "action": "LIST"})
    add = superuser_client.get(reverse("admin:core_accesslog_add"))
    delete = superuser_client.post(
        reverse("admin:core_accesslog_delete", args=[log.pk]), {"post": "yes"}
    )

    assert listing.status_code == 200
    assert "equipe-acesso" in listing.content.decode()
    assert reverse("admin:core_accesslog_add") not in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # view only
    assert post.status_code == 403
    assert add.status_code == 403
    assert delete.status_code == 403
    log.refresh_from_db()
    assert log.actor_username == "equipe-acesso"
    assert AccessLog.objects.count() == 1


def test_patient_history_page_in_the_admin(world: World, superuser_client: Client) -> None:
    token_client(world.user_a).patch(
        f"/api/patients/{world.patient_a.pk}/", {"phone": "11933332222"}, format="json"
    )

    page = superuser_client.get(
        reverse("admin:appointments_patient_history", args=[world.patient_a.pk])
    )

    assert page.status_code == 200
    assert "prof-a" in page.content.decode()


def test_professional_user_link_is_in_the_admin_form(
    world: World, superuser_client: Client
) -> None:
    page = superuser_client.get(
        reverse("admin:professionals_professional_change", args=[world.prof_a.pk])
    )

    assert page.status_code == 200
    assert 'name="user"' in page.content.decode()


# --- retention --------------------------------------------------------------------------------


def test_purge_audit_deletes_only_what_is_past_retention(world: World, settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    client = token_client(world.staff)
    client.get(f"/api/patients/{world.patient_a.pk}/")
    client.get(f"/api/patients/{world.patient_b.pk}/")
    old_log, new_log = AccessLog.objects.order_by("id")
    long_ago = timezone.now() - dt.timedelta(days=31)
    AccessLog.objects.filter(pk=old_log.pk).update(created_at=long_ago)
    Patient.history.filter(id=world.patient_a.pk).update(history_date=long_ago)
    Appointment.history.filter(id=world.appt_a.pk).update(history_date=long_ago)
    Professional.history.filter(id=world.prof_a.pk).update(history_date=long_ago)
    out = StringIO()

    call_command("purge_audit", "--force", stdout=out)

    assert list(AccessLog.objects.all()) == [new_log]
    assert not Patient.history.filter(id=world.patient_a.pk).exists()
    assert Patient.history.filter(id=world.patient_b.pk).exists()
    assert not Appointment.history.filter(id=world.appt_a.pk).exists()
    assert Appointment.history.filter(id=world.appt_b.pk).exists()
    assert not Professional.history.filter(id=world.prof_a.pk).exists()
    assert Professional.history.filter(id=world.prof_b.pk).exists()
    assert "30" in out.getvalue()
    # The records themselves are untouched.
    assert Patient.objects.filter(pk=world.patient_a.pk).exists()


def test_purge_audit_days_option_and_default(world: World, settings: Any) -> None:
    token_client(world.staff).get(f"/api/patients/{world.patient_a.pk}/")
    AccessLog.objects.update(created_at=timezone.now() - dt.timedelta(days=2000))

    call_command("purge_audit", stdout=StringIO())  # default retention: seven years
    assert AccessLog.objects.count() == 1
    call_command("purge_audit", "--days", "1000", "--force", stdout=StringIO())
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("days", ["0", "-5"])
def test_purge_audit_refuses_a_retention_below_one_day(days: str) -> None:
    with pytest.raises(CommandError):
        call_command("purge_audit", "--days", days, stdout=StringIO())


def test_the_default_retention_is_seven_years(settings: Any) -> None:
    assert settings.AUDIT_RETENTION_DAYS == 2555


# --- professional logins ----------------------------------------------------------------------


def test_create_professional_user_links_a_login_that_sees_only_its_data(world: World) -> None:
    solo = ProfessionalFactory.create(preferred_name="Dra. Solo", email="solo@example.com")
    own = AppointmentFactory.create(professional=solo, patient=make_patient("Paciente da Solo"))
    out = StringIO()

    call_command(
        "create_professional_user",
        "--professional",
        str(solo.pk),
        "--username",
        "dra-solo",
        "--password",
        "Outra-senha-5678",
        stdout=out,
    )

    solo.refresh_from_db()
    assert solo.user is not None
    assert solo.user.username == "dra-solo"
    assert not solo.user.is_staff
    assert "dra-solo" in out.getvalue()
    client = APIClient()
    tokens = client.post(
        "/api/auth/token/", {"username": "dra-solo", "password": "Outra-senha-5678"}, format="json"
    )
    assert tokens.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert [r["id"] for r in client.get("/api/appointments/").json()["results"]] == [own.pk]
    assert [r["id"] for r in client.get("/api/professionals/").json()["results"]] == [solo.pk]
    assert [r["id"] for r in client.get("/api/patients/").json()["results"]] == [own.patient_id]
    assert client.get(f"/api/appointments/{world.appt_a.pk}/").status_code == 404


def test_create_professional_user_refusals(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROFESSIONAL_PASSWORD", raising=False)
    free = ProfessionalFactory.create()

    def run(*args: str) -> None:
        call_command("create_professional_user", *args, stdout=StringIO())

    with pytest.raises(CommandError, match="já tem um usuário"):
        run("--professional", str(world.prof_a.pk), "--username", "novo", "--password", "x")
    with pytest.raises(CommandError, match="já existe"):
        run("--professional", str(free.pk), "--username", "prof-b", "--password", "x")
    with pytest.raises(CommandError, match="não encontrado"):
        run("--professional", "999999", "--username", "novo", "--password", "x")
    with pytest.raises(CommandError, match="password"):
        run("--professional", str(free.pk), "--username", "novo")

    free.refresh_from_db()
    world.prof_a.refresh_from_db()
    assert free.user is None
    assert world.prof_a.user == world.user_a
    assert not get_user_model().objects.filter(username="novo").exists()


def test_create_professional_user_reads_the_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROFESSIONAL_PASSWORD", "Senha-do-ambiente-42")
    professional = ProfessionalFactory.create()

    call_command(
        "create_professional_user",
        "--professional",
        str(professional.pk),
        "--username",
        "pelo-ambiente",
        stdout=StringIO(),
    )

    user = get_user_model().objects.get(username="pelo-ambiente")
    assert user.check_password("Senha-do-ambiente-42")
