"""Staff users are held to Django's model permissions in the API (as in the admin); the
"operador" group bundles the day-to-day ones."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from core.operators import OPERATOR_GROUP, OPERATOR_PERMISSIONS
from core.tests.access_fixtures import PASSWORD, client_for
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def staff(username: str, *permissions: str, group: bool = False) -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    if group:
        user.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def test_staff_without_permissions_can_do_nothing() -> None:
    professional = ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=professional)
    client = client_for(staff("sem-permissao"))

    assert client.get("/api/professionals/").status_code == 403
    assert client.get(f"/api/professionals/{professional.pk}/").status_code == 403
    assert client.delete(f"/api/professionals/{professional.pk}/").status_code == 403
    assert client.get("/api/payments/metrics/").status_code == 403
    refund = client.post(f"/api/appointments/{appointment.pk}/refund/", {}, format="json")
    assert refund.status_code == 403
    assert client.get("/api/patients/").status_code == 403
    assert professional.__class__.objects.filter(pk=professional.pk).exists()


def test_a_single_permission_grants_only_its_action() -> None:
    professional = ProfessionalFactory.create()
    client = client_for(staff("so-leitura", "professionals.view_professional"))

    assert client.get(f"/api/professionals/{professional.pk}/").status_code == 200
    assert client.delete(f"/api/professionals/{professional.pk}/").status_code == 403
    patch = client.patch(
        f"/api/professionals/{professional.pk}/", {"profession": "X"}, format="json"
    )
    assert patch.status_code == 403


def test_operator_group_permissions() -> None:
    professional = ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=professional)
    client = client_for(staff("operadora", group=True))

    assert client.get("/api/professionals/").status_code == 200
    assert client.get("/api/patients/").status_code == 200
    assert client.get("/api/appointments/").status_code == 200
    assert client.get("/api/payments/metrics/").status_code == 200
    assert client.get(f"/api/appointments/{appointment.pk}/payment_status/").status_code == 200
    patched = client.patch(
        f"/api/professionals/{professional.pk}/", {"profession": "Nutricionista"}, format="json"
    )
    assert patched.status_code == 200
    # Deleting professionals and refunding stay with superusers (or explicit permissions).
    assert client.delete(f"/api/professionals/{professional.pk}/").status_code == 403
    refund = client.post(f"/api/appointments/{appointment.pk}/refund/", {}, format="json")
    assert refund.status_code == 403


def test_explicit_delete_permission_allows_deleting() -> None:
    professional = ProfessionalFactory.create()
    client = client_for(staff("pode-excluir", "professionals.delete_professional"))

    assert client.delete(f"/api/professionals/{professional.pk}/").status_code == 204


def test_operator_group_exists_after_migrate_with_its_permissions() -> None:
    group = Group.objects.get(name=OPERATOR_GROUP)
    granted = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }

    assert granted == set(OPERATOR_PERMISSIONS)


def test_ensure_operator_group_command_restores_the_permissions() -> None:
    group = Group.objects.get(name=OPERATOR_GROUP)
    group.permissions.clear()
    out = io.StringIO()

    call_command("ensure_operator_group", stdout=out)

    assert group.permissions.count() == len(OPERATOR_PERMISSIONS)
    assert OPERATOR_GROUP in out.getvalue()
