"""The professionals endpoints: CRUD, validation, filters, ordering and cascade."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.tests.access_fixtures import make_user
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional
from professionals.selectors import professional_list_for, professional_visible

pytestmark = pytest.mark.django_db

LIST_URL = "/api/professionals/"
README_BODY = {
    "preferred_name": "Dra. Ana Silva",
    "profession": "Psicóloga",
    "address": "Rua das Flores, 123 - São Paulo, SP",
    "contact": "ana.silva@email.com / (11) 98765-4321",
}
# Later issues may add fields; these are the ones the README documents.
FIELDS = {"id", "preferred_name", "profession", "address", "contact", "created_at", "updated_at"}
REQUIRED_MESSAGE = "Este campo é obrigatório."


def detail_url(pk: int) -> str:
    return f"{LIST_URL}{pk}/"


def names(response: Any) -> list[str]:
    return [item["preferred_name"] for item in response.json()["results"]]


# --- create ------------------------------------------------------------------------------


def test_readme_example_creates_a_professional(api_client: APIClient) -> None:
    response = api_client.post(LIST_URL, README_BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= FIELDS
    for field, value in README_BODY.items():
        assert body[field] == value
    stored = Professional.objects.get(pk=body["id"])
    assert stored.preferred_name == "Dra. Ana Silva"
    assert stored.contact == README_BODY["contact"]
    created = parse_datetime(body["created_at"])
    assert created is not None
    assert created.utcoffset() is not None
    assert created == stored.created_at


@pytest.mark.parametrize("field", ["preferred_name", "profession", "address", "contact"])
def test_each_field_is_required(api_client: APIClient, field: str) -> None:
    body = {key: value for key, value in README_BODY.items() if key != field}

    response = api_client.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {field: [REQUIRED_MESSAGE]}
    assert not Professional.objects.exists()


@pytest.mark.parametrize("field", ["preferred_name", "profession", "address", "contact"])
def test_blank_fields_are_rejected(api_client: APIClient, field: str) -> None:
    response = api_client.post(LIST_URL, {**README_BODY, field: ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    (message,) = response.json()[field]
    assert "em branco" in message  # DRF's pt-BR message for blank strings


def test_empty_body_lists_every_required_field(api_client: APIClient) -> None:
    response = api_client.post(LIST_URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {field: [REQUIRED_MESSAGE] for field in README_BODY}


@pytest.mark.parametrize(
    ("field", "limit"), [("preferred_name", 255), ("profession", 100), ("contact", 255)]
)
def test_max_lengths(api_client: APIClient, field: str, limit: int) -> None:
    # A value that is still a valid contact, whatever its length.
    def value(length: int) -> str:
        return (
            ("a" * (length - len("@example.com"))) + "@example.com"
            if field == "contact"
            else ("x" * length)
        )

    too_long = api_client.post(LIST_URL, {**README_BODY, field: value(limit + 1)}, format="json")
    assert too_long.status_code == 400
    assert list(too_long.json()) == [field]
    (message,) = too_long.json()[field]
    assert str(limit) in message
    assert "caracteres" in message

    at_limit = api_client.post(LIST_URL, {**README_BODY, field: value(limit)}, format="json")
    assert at_limit.status_code == 201, at_limit.content
    assert len(at_limit.json()[field]) == limit


# --- contact -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "contact",
    [
        "ana.silva@email.com",
        "(11) 98765-4321",
        "11 3456-7890",
        "+55 21 99876-5432",
        "11987654321",
        "ana.silva@email.com / (11) 98765-4321",
        "Telefone: (21) 2345-6789, ramal 3",
        "Contato: consultorio@clinica.com.br.",
    ],
)
def test_contact_accepts_an_email_or_a_brazilian_phone(api_client: APIClient, contact: str) -> None:
    response = api_client.post(LIST_URL, {**README_BODY, "contact": contact}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["contact"] == contact


@pytest.mark.parametrize(
    "contact",
    ["nada aqui", "12345", "foo@", "@bar.com", "ana@email", "(11) 1234", "+1 212 555 0100"],
)
def test_contact_rejects_text_without_email_or_phone(api_client: APIClient, contact: str) -> None:
    response = api_client.post(LIST_URL, {**README_BODY, "contact": contact}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "contact": ["Informe um e-mail válido ou um telefone brasileiro válido (com DDD)."]
    }
    assert not Professional.objects.exists()


# --- read / update / delete ----------------------------------------------------------------


def test_retrieve(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.get(detail_url(professional.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= FIELDS
    assert body["id"] == professional.pk
    assert body["preferred_name"] == professional.preferred_name
    assert body["address"] == professional.address


def test_retrieve_unknown_id_is_404(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.get(detail_url(professional.pk + 1000))

    assert response.status_code == 404
    assert response.json() == {"detail": "Não encontrado."}


def test_put_replaces_every_field(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    before = professional.updated_at

    response = api_client.put(detail_url(professional.pk), README_BODY, format="json")

    assert response.status_code == 200, response.content
    professional.refresh_from_db()
    for field, value in README_BODY.items():
        assert getattr(professional, field) == value
        assert response.json()[field] == value
    assert professional.updated_at > before


def test_put_requires_every_field(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.put(
        detail_url(professional.pk), {"preferred_name": "Só o nome"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"profession", "address", "contact"}
    professional.refresh_from_db()
    assert professional.preferred_name != "Só o nome"


def test_patch_changes_only_the_given_field(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create(profession="Nutricionista")
    original_name = professional.preferred_name

    response = api_client.patch(
        detail_url(professional.pk), {"profession": "Nutróloga"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["profession"] == "Nutróloga"
    professional.refresh_from_db()
    assert professional.profession == "Nutróloga"
    assert professional.preferred_name == original_name


def test_patch_validates_contact(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.patch(detail_url(professional.pk), {"contact": "12345"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["contact"]
    professional.refresh_from_db()
    assert professional.contact != "12345"


def test_read_only_fields_are_ignored_on_write(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.patch(
        detail_url(professional.pk),
        {"id": 999_999, "created_at": "2000-01-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == professional.pk
    professional.refresh_from_db()
    assert professional.created_at.year != 2000


def test_delete(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    other = ProfessionalFactory.create()

    response = api_client.delete(detail_url(professional.pk))

    assert response.status_code == 204
    assert not response.content
    assert list(Professional.objects.values_list("pk", flat=True)) == [other.pk]
    assert api_client.get(detail_url(professional.pk)).status_code == 404
    assert api_client.delete(detail_url(professional.pk)).status_code == 404


def test_delete_cascades_to_appointments(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    AppointmentFactory.create_batch(3, professional=professional)
    kept = AppointmentFactory.create()

    response = api_client.delete(detail_url(professional.pk))

    assert response.status_code == 204
    assert list(Appointment.objects.values_list("pk", flat=True)) == [kept.pk]


# --- list, search, filters, ordering -------------------------------------------------------


def test_list_is_paginated_and_ordered_by_name(api_client: APIClient) -> None:
    ProfessionalFactory.create(preferred_name="Carla")
    ProfessionalFactory.create(preferred_name="Ana")
    ProfessionalFactory.create(preferred_name="Bruno")

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] is None
    assert names(response) == ["Ana", "Bruno", "Carla"]
    assert set(body["results"][0]) >= FIELDS


@pytest.fixture
def team() -> dict[str, Professional]:
    return {
        "ana": ProfessionalFactory.create(preferred_name="Dra. Ana Silva", profession="Psicóloga"),
        "bruno": ProfessionalFactory.create(
            preferred_name="Dr. Bruno Lima", profession="Psiquiatra"
        ),
        "carla": ProfessionalFactory.create(
            preferred_name="Carla Souza", profession="Nutricionista"
        ),
        "diego": ProfessionalFactory.create(
            preferred_name="Diego Anastácio", profession="Fisioterapeuta"
        ),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ana", {"Dra. Ana Silva", "Diego Anastácio"}),
        ("ANA SILVA", {"Dra. Ana Silva"}),
        ("psi", {"Dra. Ana Silva", "Dr. Bruno Lima"}),
        ("nutri", {"Carla Souza"}),
        ("ninguém", set()),
    ],
)
def test_search_by_name_or_profession_ignoring_case(
    api_client: APIClient, team: dict[str, Professional], term: str, expected: set[str]
) -> None:
    response = api_client.get(LIST_URL, {"search": term})

    assert response.status_code == 200
    assert set(names(response)) == expected
    assert response.json()["count"] == len(expected)


def test_search_does_not_look_at_address_or_contact(api_client: APIClient) -> None:
    ProfessionalFactory.create(address="Avenida Paulista, 1000", contact="paulista@example.com")

    response = api_client.get(LIST_URL, {"search": "paulista"})

    assert response.json()["count"] == 0


def test_filter_by_profession(api_client: APIClient, team: dict[str, Professional]) -> None:
    ProfessionalFactory.create(preferred_name="Eva", profession="psicóloga")

    response = api_client.get(LIST_URL, {"profession": "Psicóloga"})

    assert response.status_code == 200
    assert set(names(response)) == {"Dra. Ana Silva", "Eva"}


def test_filter_by_profession_is_exact(
    api_client: APIClient, team: dict[str, Professional]
) -> None:
    response = api_client.get(LIST_URL, {"profession": "Psi"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_search_and_profession_combine(
    api_client: APIClient, team: dict[str, Professional]
) -> None:
    response = api_client.get(LIST_URL, {"search": "psi", "profession": "Psiquiatra"})

    assert names(response) == ["Dr. Bruno Lima"]


@pytest.mark.parametrize("field", ["preferred_name", "profession", "created_at", "updated_at"])
def test_ordering(api_client: APIClient, field: str) -> None:
    # Names, professions and timestamps all sort in a different order from creation.
    rows = [("Carla", "Fisioterapeuta"), ("Ana", "Psicóloga"), ("Bruno", "Médico")]
    created = [ProfessionalFactory.create(preferred_name=n, profession=p) for n, p in rows]
    base = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    # created_at: Bruno < Carla < Ana; updated_at: Ana < Bruno < Carla.
    Professional.objects.filter(pk=created[2].pk).update(
        created_at=base, updated_at=base + dt.timedelta(days=2)
    )
    Professional.objects.filter(pk=created[0].pk).update(
        created_at=base + dt.timedelta(days=1), updated_at=base + dt.timedelta(days=3)
    )
    Professional.objects.filter(pk=created[1].pk).update(
        created_at=base + dt.timedelta(days=2), updated_at=base + dt.timedelta(days=1)
    )
    expected = list(Professional.objects.order_by(field).values_list("preferred_name", flat=True))
    assert len(set(expected)) == 3

    ascending = api_client.get(LIST_URL, {"ordering": field})
    descending = api_client.get(LIST_URL, {"ordering": f"-{field}"})

    assert ascending.status_code == 200
    assert descending.status_code == 200
    assert names(ascending) == expected
    assert names(descending) == expected[::-1]


def test_ordering_expectations_differ_per_field(api_client: APIClient) -> None:
    """Guards the test above: each field really sorts differently from the default."""
    rows = [("Carla", "Fisioterapeuta"), ("Ana", "Psicóloga"), ("Bruno", "Médico")]
    for name, profession in rows:
        ProfessionalFactory.create(preferred_name=name, profession=profession)

    by_profession = api_client.get(LIST_URL, {"ordering": "profession"})
    by_name = api_client.get(LIST_URL, {"ordering": "preferred_name"})

    assert names(by_profession) == ["Carla", "Bruno", "Ana"]
    assert names(by_name) == ["Ana", "Bruno", "Carla"]


@pytest.mark.parametrize("ordering", ["foo", "address", "-contact", "id;drop"])
def test_invalid_ordering_is_400(api_client: APIClient, ordering: str) -> None:
    ProfessionalFactory.create()

    response = api_client.get(LIST_URL, {"ordering": ordering})

    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]
    assert isinstance(response.json()["ordering"], list)
    assert response.json()["ordering"][0]


@pytest.mark.django_db
def test_professional_visible_is_the_list_holding_the_row() -> None:
    """``professional_visible`` answers as ``professional_list_for(...).filter(pk=...)``."""
    owner, plain = make_user("visible-owner"), make_user("visible-plain")
    staff = make_user("visible-staff", is_staff=True)
    own = ProfessionalFactory.create(user=owner)
    other = ProfessionalFactory.create()
    owner.refresh_from_db()
    keys = [own.pk, other.pk, other.pk + 1000, 0, -1, 2**63 - 1, 2**63, 10**30]
    for user in (staff, owner, plain):
        for pk in keys:
            held = 0 < pk < 2**63 and professional_list_for(user=user).filter(pk=pk).exists()
            assert professional_visible(user=user, pk=pk) is held, (user.username, pk)
    assert professional_visible(user=staff, pk=other.pk)
    assert professional_visible(user=owner, pk=own.pk)
    assert not professional_visible(user=owner, pk=other.pk)
