"""The appointments endpoints: CRUD, time zones, durations and the no-double-booking rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

LIST_URL = "/api/appointments/"
# Later issues may add fields; these are the ones the README documents.
FIELDS = {
    "id",
    "date",
    "duration_minutes",
    "end",
    "professional",
    "professional_data",
    "created_at",
    "updated_at",
}
SAO_PAULO = dt.timezone(dt.timedelta(hours=-3))


def detail_url(pk: int) -> str:
    return f"{LIST_URL}{pk}/"


def instant(text: str) -> dt.datetime:
    parsed = parse_datetime(text)
    assert parsed is not None, text
    assert parsed.utcoffset() is not None, f"{text} has no offset"
    return parsed


def post(client: APIClient, body: dict[str, Any]) -> Any:
    return client.post(LIST_URL, body, format="json")


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create(preferred_name="Dra. Ana Silva", profession="Psicóloga")


# --- create ------------------------------------------------------------------------------


def test_readme_example_creates_an_appointment(
    api_client: APIClient, professional: Professional
) -> None:
    response = post(
        api_client, {"date": "2030-07-15T14:30:00-03:00", "professional": professional.pk}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= FIELDS
    assert instant(body["date"]) == dt.datetime(2030, 7, 15, 17, 30, tzinfo=dt.UTC)
    assert body["duration_minutes"] == 30
    assert instant(body["end"]) - instant(body["date"]) == dt.timedelta(minutes=30)
    assert body["professional"] == professional.pk
    assert body["professional_data"] == {
        "id": professional.pk,
        "preferred_name": "Dra. Ana Silva",
        "profession": "Psicóloga",
    }
    stored = Appointment.objects.get(pk=body["id"])
    assert stored.professional_id == professional.pk
    assert stored.end == stored.date + dt.timedelta(minutes=30)


def test_naive_datetime_is_read_as_sao_paulo_time(
    api_client: APIClient, professional: Professional
) -> None:
    response = post(api_client, {"date": "2030-07-15T14:30:00", "professional": professional.pk})

    assert response.status_code == 201, response.content
    stored = Appointment.objects.get(pk=response.json()["id"])
    assert stored.date == dt.datetime(2030, 7, 15, 17, 30, tzinfo=dt.UTC)
    assert response.json()["date"].startswith("2030-07-15T14:30:00")
    assert response.json()["date"].endswith("-03:00")
    assert response.json()["end"].startswith("2030-07-15T15:00:00")
    assert response.json()["end"].endswith("-03:00")


def test_utc_input_is_rendered_in_sao_paulo_time(
    api_client: APIClient, professional: Professional
) -> None:
    response = post(api_client, {"date": "2030-07-16T02:00:00Z", "professional": professional.pk})

    assert response.status_code == 201
    rendered = instant(response.json()["date"])
    assert rendered.utcoffset() == dt.timedelta(hours=-3)
    assert rendered.replace(tzinfo=None) == dt.datetime(2030, 7, 15, 23, 0)


def test_custom_duration_sets_end(api_client: APIClient, professional: Professional) -> None:
    response = post(
        api_client,
        {"date": "2030-07-15T16:00:00", "duration_minutes": 50, "professional": professional.pk},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["duration_minutes"] == 50
    assert instant(body["end"]) == dt.datetime(2030, 7, 15, 16, 50, tzinfo=SAO_PAULO)


@pytest.mark.parametrize("duration", [5, 480])
def test_duration_bounds_are_accepted(
    api_client: APIClient, professional: Professional, duration: int
) -> None:
    response = post(
        api_client,
        {
            "date": "2030-07-15T08:00:00",
            "duration_minutes": duration,
            "professional": professional.pk,
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["duration_minutes"] == duration


@pytest.mark.parametrize(("duration", "limit"), [(4, "5"), (0, "5"), (-30, "5"), (481, "480")])
def test_duration_out_of_bounds_is_400(
    api_client: APIClient, professional: Professional, duration: int, limit: str
) -> None:
    response = post(
        api_client,
        {
            "date": "2030-07-15T08:00:00",
            "duration_minutes": duration,
            "professional": professional.pk,
        },
    )

    assert response.status_code == 400
    assert list(response.json()) == ["duration_minutes"]
    assert limit in response.json()["duration_minutes"][0]
    assert not Appointment.objects.exists()


def test_unknown_professional_is_400(api_client: APIClient, professional: Professional) -> None:
    response = post(
        api_client, {"date": "2030-07-15T08:00:00", "professional": professional.pk + 99}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["professional"]
    assert "inválido" in response.json()["professional"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"professional": "P"}, "date"),
        ({"date": "2030-07-15T08:00:00"}, "professional"),
        ({"date": "amanhã", "professional": "P"}, "date"),
        ({"date": "2030-02-30T08:00:00", "professional": "P"}, "date"),
        ({"date": "2030-07-15T08:00:00", "professional": "abc"}, "professional"),
        (
            {"date": "2030-07-15T08:00:00", "professional": "P", "duration_minutes": "x"},
            "duration_minutes",
        ),
    ],
)
def test_invalid_or_missing_fields_are_400(
    api_client: APIClient, professional: Professional, body: dict[str, Any], field: str
) -> None:
    body = {key: professional.pk if value == "P" else value for key, value in body.items()}

    response = post(api_client, body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0]


def test_end_is_read_only(api_client: APIClient, professional: Professional) -> None:
    response = post(
        api_client,
        {
            "date": "2030-07-15T08:00:00-03:00",
            "end": "2030-07-15T12:00:00-03:00",
            "professional": professional.pk,
        },
    )

    assert response.status_code == 201
    assert instant(response.json()["end"]) == dt.datetime(2030, 7, 15, 8, 30, tzinfo=SAO_PAULO)


# --- read / update / delete ----------------------------------------------------------------


def test_retrieve(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create(duration_minutes=45)

    response = api_client.get(detail_url(appointment.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= FIELDS
    assert instant(body["date"]) == appointment.date
    assert instant(body["end"]) == appointment.date + dt.timedelta(minutes=45)
    assert body["professional_data"]["id"] == appointment.professional_id


def test_retrieve_unknown_is_404(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    response = api_client.get(detail_url(appointment.pk + 1000))

    assert response.status_code == 404
    assert response.json() == {"detail": "Não encontrado."}


def test_put_moves_the_appointment(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()
    other = ProfessionalFactory.create()

    response = api_client.put(
        detail_url(appointment.pk),
        {"date": "2031-01-10T09:00:00", "duration_minutes": 60, "professional": other.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.date == dt.datetime(2031, 1, 10, 12, 0, tzinfo=dt.UTC)
    assert appointment.end == dt.datetime(2031, 1, 10, 13, 0, tzinfo=dt.UTC)
    assert appointment.professional_id == other.pk
    assert response.json()["professional_data"]["id"] == other.pk


def test_put_requires_date_and_professional(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    response = api_client.put(detail_url(appointment.pk), {"duration_minutes": 60}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"date", "professional"}


def test_patch_duration_recomputes_end(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    response = api_client.patch(detail_url(appointment.pk), {"duration_minutes": 90}, format="json")

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.duration_minutes == 90
    assert appointment.end == appointment.date + dt.timedelta(minutes=90)
    assert instant(response.json()["end"]) == appointment.end


def test_patch_date_recomputes_end(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create(duration_minutes=20)

    response = api_client.patch(
        detail_url(appointment.pk), {"date": "2031-03-01T10:00:00-03:00"}, format="json"
    )

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.date == dt.datetime(2031, 3, 1, 13, 0, tzinfo=dt.UTC)
    assert appointment.end == dt.datetime(2031, 3, 1, 13, 20, tzinfo=dt.UTC)


def test_patch_invalid_duration_is_400(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()

    response = api_client.patch(
        detail_url(appointment.pk), {"duration_minutes": 481}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["duration_minutes"]
    appointment.refresh_from_db()
    assert appointment.duration_minutes == 30


def test_delete(api_client: APIClient) -> None:
    appointment = AppointmentFactory.create()
    kept = AppointmentFactory.create(professional=appointment.professional)

    response = api_client.delete(detail_url(appointment.pk))

    assert response.status_code == 204
    assert list(Appointment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Professional.objects.filter(pk=appointment.professional_id).exists()
    assert api_client.delete(detail_url(appointment.pk)).status_code == 404


def test_list_shape_and_default_order(api_client: APIClient) -> None:
    later = AppointmentFactory.create()
    earlier = AppointmentFactory.create(date=later.date - dt.timedelta(days=1))

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [earlier.pk, later.pk]
    assert set(body["results"][0]) >= FIELDS
    assert set(body["results"][0]["professional_data"]) == {"id", "preferred_name", "profession"}


# --- no double booking ---------------------------------------------------------------------


def slot(professional: Professional, start: str, minutes: int = 30) -> dict[str, Any]:
    return {"date": start, "duration_minutes": minutes, "professional": professional.pk}


def assert_conflict(response: Any) -> None:
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"detail", "date"}
    assert isinstance(body["detail"], str)
    assert "profissional" in body["detail"]
    assert body["date"] == [body["detail"]]


@pytest.mark.parametrize(
    ("start", "minutes"),
    [
        ("2030-07-15T14:00:00-03:00", 30),  # the same slot
        ("2030-07-15T14:15:00-03:00", 30),  # starts inside
        ("2030-07-15T13:45:00-03:00", 30),  # ends inside
        ("2030-07-15T13:00:00-03:00", 180),  # contains it
        ("2030-07-15T14:10:00-03:00", 5),  # inside it
        ("2030-07-15T17:00:00Z", 30),  # the same instant written in UTC
        ("2030-07-15T14:29:00", 30),  # naive, last minute of the slot
    ],
)
def test_overlapping_create_is_409(
    api_client: APIClient, professional: Professional, start: str, minutes: int
) -> None:
    assert post(api_client, slot(professional, "2030-07-15T14:00:00-03:00")).status_code == 201

    response = post(api_client, slot(professional, start, minutes))

    assert_conflict(response)
    assert "15/07/2030 14:00" in response.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "minutes"),
    [
        ("2030-07-15T14:30:00-03:00", 30),  # right after
        ("2030-07-15T13:30:00-03:00", 30),  # right before
        ("2030-07-15T13:00:00-03:00", 60),  # ends exactly at the start
        ("2030-07-16T14:00:00-03:00", 30),  # next day
    ],
)
def test_back_to_back_and_disjoint_slots_are_allowed(
    api_client: APIClient, professional: Professional, start: str, minutes: int
) -> None:
    assert post(api_client, slot(professional, "2030-07-15T14:00:00-03:00")).status_code == 201

    response = post(api_client, slot(professional, start, minutes))

    assert response.status_code == 201, response.content
    assert Appointment.objects.count() == 2


def test_same_slot_with_another_professional_is_allowed(
    api_client: APIClient, professional: Professional
) -> None:
    other = ProfessionalFactory.create()
    assert post(api_client, slot(professional, "2030-07-15T14:00:00")).status_code == 201

    response = post(api_client, slot(other, "2030-07-15T14:00:00"))

    assert response.status_code == 201
    assert Appointment.objects.filter(date=dt.datetime(2030, 7, 15, 17, tzinfo=dt.UTC)).count() == 2


def test_update_into_an_overlap_is_409(api_client: APIClient, professional: Professional) -> None:
    post(api_client, slot(professional, "2030-07-15T14:00:00"))
    moved = post(api_client, slot(professional, "2030-07-15T15:00:00")).json()

    put = api_client.put(
        detail_url(moved["id"]), slot(professional, "2030-07-15T14:15:00"), format="json"
    )
    patch = api_client.patch(
        detail_url(moved["id"]), {"date": "2030-07-15T13:45:00"}, format="json"
    )

    assert_conflict(put)
    assert_conflict(patch)
    stored = Appointment.objects.get(pk=moved["id"])
    assert stored.date == instant(moved["date"])


def test_lengthening_into_the_next_slot_is_409(
    api_client: APIClient, professional: Professional
) -> None:
    first = post(api_client, slot(professional, "2030-07-15T14:00:00")).json()
    post(api_client, slot(professional, "2030-07-15T14:30:00"))

    response = api_client.patch(detail_url(first["id"]), {"duration_minutes": 31}, format="json")

    assert_conflict(response)
    assert Appointment.objects.get(pk=first["id"]).duration_minutes == 30


def test_moving_to_a_busy_professional_is_409(
    api_client: APIClient, professional: Professional
) -> None:
    other = ProfessionalFactory.create()
    post(api_client, slot(professional, "2030-07-15T14:00:00"))
    theirs = post(api_client, slot(other, "2030-07-15T14:00:00")).json()

    response = api_client.patch(
        detail_url(theirs["id"]), {"professional": professional.pk}, format="json"
    )

    assert_conflict(response)
    assert Appointment.objects.get(pk=theirs["id"]).professional_id == other.pk


def test_updating_an_appointment_onto_its_own_slot_is_allowed(
    api_client: APIClient, professional: Professional
) -> None:
    created = post(api_client, slot(professional, "2030-07-15T14:00:00")).json()

    same = api_client.put(
        detail_url(created["id"]), slot(professional, "2030-07-15T14:00:00"), format="json"
    )
    shifted = api_client.patch(
        detail_url(created["id"]), {"date": "2030-07-15T14:10:00"}, format="json"
    )

    assert same.status_code == 200, same.content
    assert shifted.status_code == 200, shifted.content
    assert Appointment.objects.get().date == dt.datetime(2030, 7, 15, 17, 10, tzinfo=dt.UTC)


def test_deleted_slot_can_be_booked_again(
    api_client: APIClient, professional: Professional
) -> None:
    created = post(api_client, slot(professional, "2030-07-15T14:00:00")).json()
    api_client.delete(detail_url(created["id"]))

    response = post(api_client, slot(professional, "2030-07-15T14:00:00"))

    assert response.status_code == 201


@pytest.mark.parametrize(
    "date", ["1206-03-20T00:51:38Z", "1999-12-31T23:00:00Z", "2101-01-02T10:00:00Z"]
)
def test_dates_outside_the_bookable_range_are_400(api_client, date) -> None:
    professional = ProfessionalFactory.create()
    response = api_client.post(
        "/api/appointments/", {"date": date, "professional": professional.pk}, format="json"
    )
    assert response.status_code == 400
    assert "date" in response.json()
