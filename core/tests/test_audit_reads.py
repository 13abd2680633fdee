"""Read logs for the admin pages of patients, appointments and professionals and for the API
detail of a professional; purge_audit's seven-year floor and its own record."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Patient
from core.models import AccessAction, AccessLog, AuditPurge
from core.tests.access_fixtures import World, build_world, client_for
from professionals.models import Professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


def logs(model: type, action: str) -> list[AccessLog]:
    content_type = ContentType.objects.get_for_model(model)
    return list(AccessLog.objects.filter(content_type=content_type, action=action))


def test_admin_patient_change_form_is_a_logged_read(world: World) -> None:
    url = reverse("admin:appointments_patient_change", args=[world.patient_a.pk])

    response = admin_client(world).get(url, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 200
    (entry,) = logs(Patient, AccessAction.RETRIEVE)
    assert entry.object_id == str(world.patient_a.pk)
    assert entry.actor == world.staff
    assert entry.ip_address == "198.51.100.9"
    assert entry.path == url


def test_admin_patient_search_logs_each_row_shown_without_the_query(world: World) -> None:
    url = reverse("admin:appointments_patient_changelist")

    response = admin_client(world).get(url, {"q": world.patient_a.cpf})

    assert response.status_code == 200
    entries = logs(Patient, AccessAction.LIST)
    assert [entry.object_id for entry in entries] == [str(world.patient_a.pk)]
    assert entries[0].path == url  # no CPF in the stored path
    assert world.patient_a.cpf not in entries[0].path


def test_admin_appointment_and_professional_pages_are_logged(world: World) -> None:
    client = admin_client(world)

    client.get(reverse("admin:appointments_appointment_change", args=[world.appt_a.pk]))
    client.get(reverse("admin:professionals_professional_change", args=[world.prof_a.pk]))
    client.get(reverse("admin:appointments_appointment_changelist"))

    assert [e.object_id for e in logs(Appointment, AccessAction.RETRIEVE)] == [str(world.appt_a.pk)]
    assert [e.object_id for e in logs(Professional, AccessAction.RETRIEVE)] == [
        str(world.prof_a.pk)
    ]
    assert {e.object_id for e in logs(Appointment, AccessAction.LIST)} == {
        str(pk) for pk in Appointment.objects.values_list("pk", flat=True)
    }


def test_a_post_to_the_change_form_is_not_a_read(world: World) -> None:
    url = reverse("admin:appointments_patient_change", args=[world.patient_a.pk])

    admin_client(world).post(url, {})

    assert logs(Patient, AccessAction.RETRIEVE) == []


def test_api_professional_detail_is_a_logged_read(world: World) -> None:
    client = client_for(world.staff)

    response = client.get(f"/api/professionals/{world.prof_a.pk}/?x=1")

    assert response.status_code == 200
    (entry,) = logs(Professional, AccessAction.RETRIEVE)
    assert entry.object_id == str(world.prof_a.pk)
    assert entry.path == f"/api/professionals/{world.prof_a.pk}/"


# --- purge_audit ------------------------------------------------------------------------------


@pytest.mark.parametrize("days", ["1", "30", "2554"])
def test_purge_below_seven_years_needs_force(world: World, days: str) -> None:
    AccessLog.objects.create(
        action=AccessAction.LIST,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id="1",
    )
    AccessLog.objects.update(created_at=timezone.now() - dt.timedelta(days=3000))

    with pytest.raises(CommandError, match="--force"):
        call_command("purge_audit", "--days", days, stdout=StringIO())

    assert AccessLog.objects.count() == 1
    assert not AuditPurge.objects.exists()


def test_purge_below_the_floor_from_the_setting_needs_force(settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 1

    with pytest.raises(CommandError, match="2555"):
        call_command("purge_audit", stdout=StringIO())


def test_each_purge_is_recorded(world: World) -> None:
    content_type = ContentType.objects.get_for_model(Patient)
    AccessLog.objects.bulk_create(
        AccessLog(action=AccessAction.LIST, content_type=content_type, object_id=str(n))
        for n in range(3)
    )
    AccessLog.objects.update(created_at=timezone.now() - dt.timedelta(days=3000))

    call_command("purge_audit", "--by", "dpo@clinica", stdout=StringIO())
    call_command("purge_audit", "--days", "10", "--force", stdout=StringIO())

    first, second = AuditPurge.objects.order_by("id")
    assert first.performed_by == "dpo@clinica"
    assert first.retention_days == 2555
    assert not first.forced
    assert first.counts["access_logs"] == 3
    assert first.total >= 3
    assert second.forced
    assert second.retention_days == 10
    assert second.performed_by  # the operating-system user
    assert second.counts["access_logs"] == 0
