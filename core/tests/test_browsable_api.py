"""The browsable API speaks pt-BR and carries the product's name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def title(client: APIClient, path: str) -> str:
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200, path
    match = re.search(r"<title>\s*(.*?)\s*</title>", response.content.decode(), flags=re.S)
    assert match
    return match.group(1)


def test_titles_in_portuguese(staff_user: Any) -> None:
    client = APIClient()
    client.force_login(staff_user)
    appointment = AppointmentFactory.create()

    assert title(client, "/api/professionals/") == "Profissionais – Medical API"
    assert title(client, "/api/appointments/") == "Consultas – Medical API"
    assert title(client, f"/api/appointments/{appointment.pk}/") == "Consulta – Medical API"
    assert (
        title(client, f"/api/appointments/{appointment.pk}/payment_status/")
        == "Consulta: status do pagamento – Medical API"
    )
    page = client.get("/api/patients/", HTTP_ACCEPT="text/html").content.decode()
    assert "Django REST framework" not in page
