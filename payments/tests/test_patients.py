"""Patients (the payers): ``/api/patients/`` CRUD, CPF handling, search and masking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appointments.models import Patient
from core.documents import mask_cpf

from .conftest import new_cpf

pytestmark = pytest.mark.django_db

PATIENTS = "/api/patients/"


def formatted(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def test_create_with_a_formatted_cpf_stores_digits(staff_client: APIClient) -> None:
    cpf = new_cpf()

    response = staff_client.post(
        PATIENTS,
        {"name": "João Pereira", "cpf": formatted(cpf), "email": "joao@example.com"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["cpf"] == cpf
    assert Patient.objects.get(pk=response.json()["id"]).cpf == cpf


@pytest.mark.parametrize("cpf", ["123.456.789-00", "11111111111", "1234", "abc", ""])
def test_an_invalid_cpf_is_400(staff_client: APIClient, cpf: str) -> None:
    response = staff_client.post(PATIENTS, {"name": "Fulano", "cpf": cpf}, format="json")

    assert response.status_code == 400
    assert "cpf" in response.json()
    assert Patient.objects.count() == 0


def test_a_duplicate_cpf_is_400_even_formatted_differently(staff_client: APIClient) -> None:
    cpf = new_cpf()
    assert staff_client.post(PATIENTS, {"name": "A", "cpf": cpf}, format="json").status_code == 201

    response = staff_client.post(PATIENTS, {"name": "B", "cpf": formatted(cpf)}, format="json")

    assert response.status_code == 400
    assert "cpf" in response.json()
    assert Patient.objects.count() == 1


def test_update_and_delete(staff_client: APIClient, make_patient: Callable[..., Patient]) -> None:
    patient = make_patient(name="Antes")

    patched = staff_client.patch(f"{PATIENTS}{patient.pk}/", {"name": "Depois"}, format="json")
    deleted = staff_client.delete(f"{PATIENTS}{patient.pk}/")

    assert patched.status_code == 200
    assert patched.json()["name"] == "Depois"
    assert deleted.status_code == 204
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert staff_client.get(f"{PATIENTS}{patient.pk}/").status_code == 404


@pytest.fixture
def three(make_patient: Callable[..., Patient]) -> list[Patient]:
    return [
        make_patient(name="Ana Beatriz Souza", email="ana.souza@example.com"),
        make_patient(name="Bruno Carvalho", email="bruno@clinica.example.org"),
        make_patient(name="Carla Dias", email="carla.dias@example.com"),
    ]


def names(response: Any) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("beatriz", ["Ana Beatriz Souza"]),
        ("CARVALHO", ["Bruno Carvalho"]),
        ("clinica.example", ["Bruno Carvalho"]),
        ("example.com", ["Ana Beatriz Souza", "Carla Dias"]),
        ("nobody", []),
    ],
)
def test_search_by_name_and_email(
    staff_client: APIClient, three: list[Patient], term: str, expected: list[str]
) -> None:
    response = staff_client.get(PATIENTS, {"search": term})

    assert response.status_code == 200
    assert names(response) == expected


def test_search_by_cpf_with_or_without_punctuation(
    staff_client: APIClient, three: list[Patient]
) -> None:
    target = three[2]

    plain = staff_client.get(PATIENTS, {"search": target.cpf})
    punctuated = staff_client.get(PATIENTS, {"search": formatted(target.cpf)})

    assert names(plain) == names(punctuated) == ["Carla Dias"]


def test_the_list_masks_the_cpf_and_the_detail_shows_it(
    staff_client: APIClient, make_patient: Callable[..., Patient]
) -> None:
    patient = make_patient(cpf="12345678909")

    listed = staff_client.get(PATIENTS).json()["results"]
    detail = staff_client.get(f"{PATIENTS}{patient.pk}/").json()

    assert [row["cpf"] for row in listed] == ["***.456.789-**"]
    assert mask_cpf(patient.cpf) == "***.456.789-**"
    assert "12345678909" not in str(listed)
    assert detail["cpf"] == "12345678909"


def test_the_list_query_count_does_not_grow_with_rows(
    staff_client: APIClient,
    make_patient: Callable[..., Patient],
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    make_patient()
    make_patient()
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(PATIENTS).status_code == 200
    for _n in range(15):
        make_patient()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(PATIENTS)

    assert response.json()["count"] == 17
