"""Form-encoded and multipart bodies are accepted wherever JSON is (DRF's default parsers)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from appointments.models import Patient
from core.tests.factories import ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

PROFESSIONAL = {
    "preferred_name": "Dra. Formulário",
    "profession": "Psicóloga",
    "address": "Rua A, 1",
    "contact": "form@example.com",
    "cpf_cnpj": "529.982.247-25",
    "postal_code": "01310-100",
}


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_create_professional_from_a_form(api_client: APIClient, fmt: str) -> None:
    if fmt == "form":
        from urllib.parse import urlencode

        response = api_client.post(
            "/api/professionals/",
            urlencode(PROFESSIONAL),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = api_client.post("/api/professionals/", PROFESSIONAL, format="multipart")

    assert response.status_code == 201, response.json()
    created = Professional.objects.get(pk=response.json()["id"])
    assert created.preferred_name == "Dra. Formulário"
    assert created.cpf_cnpj == "52998224725"
    assert created.postal_code == "01310100"


def test_patient_and_appointment_from_forms(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    patient = api_client.post(
        "/api/patients/", {"name": "Paciente Form", "cpf": "529.982.247-25"}, format="multipart"
    )
    assert patient.status_code == 201, patient.json()
    assert Patient.objects.get(pk=patient.json()["id"]).cpf == "52998224725"

    appointment = api_client.post(
        "/api/appointments/",
        {
            "date": "2031-07-15T14:30:00-03:00",
            "professional": professional.pk,
            "patient": patient.json()["id"],
        },
        format="multipart",
    )

    assert appointment.status_code == 201, appointment.json()
    assert appointment.json()["professional"] == professional.pk


def test_form_validation_errors_keep_the_standard_shape(api_client: APIClient) -> None:
    response: Any = api_client.post(
        "/api/professionals/", {"preferred_name": ""}, format="multipart"
    )

    assert response.status_code == 400
    assert "preferred_name" in response.json()


def test_a_multipart_body_without_any_part_is_400(api_client: APIClient) -> None:
    patient = api_client.post(
        "/api/patients/", {"name": "Paciente Parte", "cpf": "529.982.247-25"}, format="json"
    ).json()
    boundary = "c54b56f8ce1db3bd4a380bef812b1750"
    body = f"--{boundary}\r\n0--{boundary}--\r\n"

    response = api_client.generic(
        "PATCH",
        f"/api/patients/{patient['id']}/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["O corpo multipart não tem nenhuma parte válida."]
    }


def test_an_empty_multipart_patch_is_accepted(api_client: APIClient) -> None:
    patient = api_client.post(
        "/api/patients/", {"name": "Paciente Vazio", "cpf": "529.982.247-25"}, format="json"
    ).json()

    response = api_client.patch(f"/api/patients/{patient['id']}/", {}, format="multipart")

    assert response.status_code == 200
