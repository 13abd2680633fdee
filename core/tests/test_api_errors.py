"""The API's one error shape (400/404/405/409/415), in Portuguese, and the health check."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

PROFESSIONALS = "/api/professionals/"
APPOINTMENTS = "/api/appointments/"
README_PROFESSIONAL = {
    "preferred_name": "Dra. Ana Silva",
    "profession": "Psicóloga",
    "address": "Rua das Flores, 123 - São Paulo, SP",
    "contact": "ana.silva@email.com / (11) 98765-4321",
}


# --- 400 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFESSIONALS, APPOINTMENTS])
@pytest.mark.parametrize("body", ['{"preferred_name": "Ana",', "{'a': 1}", "not json", "{"])
def test_malformed_json_is_400_non_field_errors(api_client: APIClient, url: str, body: str) -> None:
    response = api_client.post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert list(data) == ["non_field_errors"]
    assert data["non_field_errors"] == ["O corpo da requisição não é um JSON válido."]


def test_malformed_json_on_update_is_400(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.patch(
        f"{PROFESSIONALS}{professional.pk}/", "{oops", content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"texto"', "42"])
def test_json_that_is_not_an_object_is_400_non_field_errors(
    api_client: APIClient, body: str
) -> None:
    response = api_client.post(PROFESSIONALS, body, content_type="application/json")

    assert response.status_code == 400
    data = response.json()
    assert list(data) == ["non_field_errors"]
    assert isinstance(data["non_field_errors"], list)
    assert data["non_field_errors"][0]
    assert not Professional.objects.exists()


def test_field_errors_are_lists_of_portuguese_messages(api_client: APIClient) -> None:
    response = api_client.post(PROFESSIONALS, {"contact": "nada aqui"}, format="json")

    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"preferred_name", "profession", "address", "contact"}
    assert data["preferred_name"] == ["Este campo é obrigatório."]
    assert all(isinstance(messages, list) and messages for messages in data.values())


# --- 404 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/professionals/999999/",
        "/api/appointments/999999/",
        "/api/nao-existe/",
        "/api/professionals/abc/",
        "/api/",
        "/api/professionals/1/extra/",
    ],
)
def test_unknown_api_paths_are_json_404_in_portuguese(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Não encontrado."}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_to_unknown_ids_are_404(api_client: APIClient, method: str) -> None:
    response = getattr(api_client, method)(
        "/api/professionals/424242/", README_PROFESSIONAL, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Não encontrado."}


def test_non_api_404_is_not_json() -> None:
    response = Client().get("/nao-existe/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


# --- 405 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", PROFESSIONALS),
        ("patch", PROFESSIONALS),
        ("delete", PROFESSIONALS),
        ("put", APPOINTMENTS),
        ("delete", APPOINTMENTS),
    ],
)
def test_method_not_allowed_is_405_with_detail(
    api_client: APIClient, method: str, url: str
) -> None:
    response = getattr(api_client, method)(url, {}, format="json")

    assert response.status_code == 405
    data = response.json()
    assert list(data) == ["detail"]
    assert method.upper() in data["detail"]
    assert "não é permitido" in data["detail"]
    assert "GET" in response["Allow"]
    assert "POST" in response["Allow"]


def test_post_on_a_detail_url_is_405(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    response = api_client.post(f"{APPOINTMENTS}{appointment.pk}/", {}, format="json")

    assert response.status_code == 405
    assert list(response.json()) == ["detail"]


# --- 415 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFESSIONALS, APPOINTMENTS])
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/yaml"])
def test_unsupported_media_type_is_415_with_detail(
    api_client: APIClient, url: str, content_type: str
) -> None:
    response = api_client.post(url, "preferred_name=Ana", content_type=content_type)

    assert response.status_code == 415
    data = response.json()
    assert list(data) == ["detail"]
    assert content_type in data["detail"]
    assert "não é suportado" in data["detail"]


def test_415_on_update(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.put(f"{PROFESSIONALS}{professional.pk}/", "x", content_type="text/plain")

    assert response.status_code == 415
    professional.refresh_from_db()
    assert professional.preferred_name != "x"


# --- 409 ---------------------------------------------------------------------------------


def test_conflict_is_409_with_detail_and_date(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()
    body = {"date": appointment.date.isoformat(), "professional": appointment.professional_id}

    response = api_client.post(APPOINTMENTS, body, format="json")

    assert response.status_code == 409
    data = response.json()
    assert set(data) == {"detail", "date"}
    assert data["date"] == [data["detail"]]
    assert data["detail"].startswith("O profissional já tem uma consulta")


# --- success paths keep JSON ---------------------------------------------------------------


def test_readme_professional_then_appointment(api_client: APIClient) -> None:
    professional = api_client.post(PROFESSIONALS, README_PROFESSIONAL, format="json")
    assert professional.status_code == 201

    appointment = api_client.post(
        APPOINTMENTS,
        {"date": "2030-07-15T14:30:00-03:00", "professional": professional.json()["id"]},
        format="json",
    )

    assert appointment.status_code == 201
    assert appointment.json()["professional_data"]["preferred_name"] == "Dra. Ana Silva"


# --- health ------------------------------------------------------------------------------


def test_liveness_is_ok_without_touching_the_database() -> None:
    # Readiness (every dependency) is tested in payments/tests/test_health.py.
    response = Client().get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.postgres
def test_readiness_reports_an_unavailable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real connection attempt to a port where no PostgreSQL listens."""
    from django.db import connections

    from core.observability import health

    connections.settings["unreachable"] = {
        **connections.settings["default"],
        "HOST": "127.0.0.1",
        "PORT": "1",
        "OPTIONS": {"connect_timeout": 2},
    }
    real = health.readiness_checks

    def with_unreachable_database() -> dict[str, tuple[object, bool]]:
        checks = real()
        checks["database"] = (health.Database(alias="unreachable"), True)
        return checks

    monkeypatch.setattr(health, "readiness_checks", with_unreachable_database)
    try:
        response = Client().get("/health/ready/")
    finally:
        del connections.settings["unreachable"]

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["database"]["status"] == "error"
    assert response.json()["checks"]["database"]["critical"] is True
    assert response.json()["checks"]["cache"]["status"] == "ok"
