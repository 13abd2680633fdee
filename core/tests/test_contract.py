"""The server accepts exactly what the OpenAPI schema declares: strings are strings, decimals
follow their declared pattern (or numeric bounds), documents their declared shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client: APIClient) -> dict[str, Any]:
    data: dict[str, Any] = api_client.get("/api/schema/?format=json").json()
    return data


@pytest.mark.parametrize(
    ("field", "value"), [("phone", 11987654321), ("asaas_wallet_id", 12345), ("profession", True)]
)
def test_numbers_are_not_strings(api_client: APIClient, field: str, value: Any) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.patch(
        f"/api/professionals/{professional.pk}/", {field: value}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("85", True),
        ("100.00", True),
        ("0", True),
        (85, True),
        ("100.01", False),
        ("101", False),
        ("-1", False),
        ("", False),
        (" 85", False),
        ("085", False),
        ("8.5.1", False),
    ],
)
def test_split_percentage_follows_its_pattern(
    api_client: APIClient, schema: dict[str, Any], value: Any, accepted: bool
) -> None:
    professional = ProfessionalFactory.create()
    declared = schema["components"]["schemas"]["PatchedProfessionalRequest"]["properties"]
    pattern = declared["split_percentage"]["anyOf"][0]["pattern"]

    response = api_client.patch(
        f"/api/professionals/{professional.pk}/", {"split_percentage": value}, format="json"
    )

    assert (response.status_code == 200) is accepted, response.json()
    if isinstance(value, str):
        assert bool(re.fullmatch(pattern, value)) is accepted


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("0.01", True), (".5", True), ("999999.99", True), ("0", False), ("0.00", False)],
)
def test_positive_amount_pattern_excludes_zero(
    schema: dict[str, Any], value: str, accepted: bool
) -> None:
    declared = schema["components"]["schemas"]["AppointmentRequest"]["properties"]
    pattern = declared["total_amount"]["anyOf"][0]["pattern"]

    assert bool(re.fullmatch(pattern, value)) is accepted


@pytest.mark.parametrize(
    ("cpf", "status"),
    [("529.982.247-25", 201), ("52998224725", 201), ("529.982.24725", 400), ("5299822472", 400)],
)
def test_patient_cpf_shapes(api_client: APIClient, cpf: str, status: int) -> None:
    response = api_client.post("/api/patients/", {"name": "Forma", "cpf": cpf}, format="json")

    assert response.status_code == status, response.json()


def test_document_patterns_are_declared_for_requests_only(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert "pattern" in components["PatientRequest"]["properties"]["cpf"]
    assert "pattern" not in components["Patient"]["properties"]["cpf"]  # masked in lists
    cpf_cnpj = components["ProfessionalRequest"]["properties"]["cpf_cnpj"]["oneOf"][0]
    assert re.fullmatch(cpf_cnpj["pattern"], "11.222.333/0001-81")


def test_form_bodies_have_components_without_null(schema: dict[str, Any]) -> None:
    body = schema["paths"]["/api/appointments/"]["post"]["requestBody"]["content"]
    form = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert form == "AppointmentRequestForm"
    patient = schema["components"]["schemas"][form]["properties"]["patient"]
    assert "nullable" not in str(patient)
    assert {"type": "string", "maxLength": 0} in patient["anyOf"]
