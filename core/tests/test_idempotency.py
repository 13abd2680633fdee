"""Idempotency-Key on POST /api/appointments/: replay, mismatch, bounds, per-user keys, expiry,
the purge, the schema — and no key means today's behaviour."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.models import IdempotencyKey
from core.tasks import purge_idempotency_keys_task
from core.tests.factories import ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

URL = "/api/appointments/"
SLOT = "2031-03-10T09:00:00-03:00"
OTHER_SLOT = "2031-03-10T11:00:00-03:00"


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create()


def book(client: APIClient, body: dict[str, Any] | str, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    if isinstance(body, str):
        return client.post(URL, body, content_type="application/json", headers=headers)
    return client.post(URL, body, format="json", headers=headers)


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


# --- no key: today's behaviour ----------------------------------------------------------------


def test_without_a_key_a_repeat_books_again_and_gets_the_slot_conflict(
    api_client: APIClient, professional: Professional
) -> None:
    body = {"date": SLOT, "professional": professional.pk}

    first = book(api_client, body)
    second = book(api_client, body)

    assert first.status_code == 201, first.content
    assert second.status_code == 409
    assert "Idempotent-Replayed" not in first.headers
    assert IdempotencyKey.objects.count() == 0


# --- replay -----------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_answer_without_a_second_booking(
    api_client: APIClient, professional: Professional
) -> None:
    body = {"date": SLOT, "professional": professional.pk, "duration_minutes": 45}

    first = book(api_client, body, key="c0ffee-0001")
    # Same JSON, other key order and spacing: still the same request.
    again = json.dumps(dict(reversed(list(body.items()))), indent=2)
    second = book(api_client, again, key="c0ffee-0001")

    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Appointment.objects.filter(professional=professional).count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.key, row.method, row.path, row.response_status) == (
        "c0ffee-0001",
        "POST",
        URL,
        201,
    )
    assert row.completed_at is not None


def test_a_deterministic_client_error_is_stored_and_replayed(
    api_client: APIClient, professional: Professional
) -> None:
    taken = book(api_client, {"date": SLOT, "professional": professional.pk})
    assert taken.status_code == 201
    body = {"date": SLOT, "professional": professional.pk}

    conflict = book(api_client, body, key="slot-taken")
    invalid = book(api_client, {"professional": professional.pk}, key="no-date")
    Appointment.objects.all().delete()  # the slot is free now, the answer stays the same
    conflict_again = book(api_client, body, key="slot-taken")
    invalid_again = book(api_client, {"professional": professional.pk}, key="no-date")

    assert conflict.status_code == conflict_again.status_code == 409
    assert conflict_again.json() == conflict.json()
    assert conflict_again.headers["Idempotent-Replayed"] == "true"
    assert invalid.status_code == invalid_again.status_code == 400
    assert invalid_again.json() == invalid.json() == {"date": ["Este campo é obrigatório."]}
    assert Appointment.objects.count() == 0


# --- mismatch and bounds ----------------------------------------------------------------------


def test_same_key_with_another_body_is_422_and_books_nothing(
    api_client: APIClient, professional: Professional
) -> None:
    first = book(api_client, {"date": SLOT, "professional": professional.pk}, key="k-1")

    other = book(api_client, {"date": OTHER_SLOT, "professional": professional.pk}, key="k-1")

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json() == {
        "detail": "Esta Idempotency-Key já foi usada com outra requisição (corpo ou endpoint "
        "diferente). Use uma chave nova para uma nova operação."
    }
    assert list(Appointment.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_same_key_on_another_endpoint_is_422(
    api_client: APIClient, professional: Professional
) -> None:
    booked = book(api_client, {"date": SLOT, "professional": professional.pk}, key="k-2")
    appointment_id = booked.json()["id"]

    response = api_client.post(
        f"/api/appointments/{appointment_id}/cancel_payment/",
        {"date": SLOT, "professional": professional.pk},
        format="json",
        headers={"Idempotency-Key": "k-2"},
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "chave com espaço", "ação", "k/1", "k\t1"],
    ids=["empty", "too-long", "space", "accent", "slash", "tab"],
)
def test_a_malformed_key_is_400_and_books_nothing(
    api_client: APIClient, professional: Professional, key: str
) -> None:
    response = book(api_client, {"date": SLOT, "professional": professional.pk}, key=key)

    assert response.status_code == 400
    [message] = response.json()["Idempotency-Key"]
    assert "1 a 255 caracteres" in message
    assert Appointment.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


def test_the_longest_key_is_accepted(api_client: APIClient, professional: Professional) -> None:
    key = "a:b.c_d-" * 31 + "0123456"  # 255 characters
    assert len(key) == 255

    response = book(api_client, {"date": SLOT, "professional": professional.pk}, key=key)

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == key


# --- per user ---------------------------------------------------------------------------------


def test_keys_belong_to_their_user(staff_user: Any, professional: Professional) -> None:
    other_user = get_user_model().objects.create_user(
        username="outra", password="senha-da-outra-equipe", is_staff=True, is_superuser=True
    )
    mine, theirs = client_for(staff_user), client_for(other_user)

    first = book(mine, {"date": SLOT, "professional": professional.pk}, key="shared")
    second = book(theirs, {"date": OTHER_SLOT, "professional": professional.pk}, key="shared")
    replay = book(mine, {"date": SLOT, "professional": professional.pk}, key="shared")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert replay.json()["id"] == first.json()["id"]
    assert Appointment.objects.count() == 2
    assert set(IdempotencyKey.objects.values_list("user_id", flat=True)) == {
        staff_user.pk,
        other_user.pk,
    }


# --- expiry and purge -------------------------------------------------------------------------


def age(key: str, hours: float) -> None:
    IdempotencyKey.objects.filter(key=key).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )


def test_an_expired_key_is_not_replayed(api_client: APIClient, professional: Professional) -> None:
    body = {"date": SLOT, "professional": professional.pk}
    first = book(api_client, body, key="old")
    age("old", 24.1)

    again = book(api_client, body, key="old")

    # Executed again: the slot is now taken (by the first booking).
    assert first.status_code == 201
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again.headers
    row = IdempotencyKey.objects.get(key="old")
    assert row.response_status == 409
    assert timezone.now() - row.created_at < dt.timedelta(minutes=1)


def test_a_key_younger_than_24_hours_is_still_replayed(
    api_client: APIClient, professional: Professional
) -> None:
    body = {"date": SLOT, "professional": professional.pk}
    first = book(api_client, body, key="young")
    age("young", 23.9)

    again = book(api_client, body, key="young")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_purge_deletes_only_expired_keys(api_client: APIClient, professional: Professional) -> None:
    for index, hours in enumerate((0, 23, 25, 48)):
        book(api_client, {"date": SLOT, "professional": professional.pk}, key=f"k{index}")
        age(f"k{index}", hours)

    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)

    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["k0", "k1"]
    assert "2 chaves" in out.getvalue()
    age("k1", 30)
    assert purge_idempotency_keys_task() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k0"]


def test_purge_refuses_to_delete_keys_that_may_still_be_replayed() -> None:
    with pytest.raises(CommandError, match="24 horas"):
        call_command("purge_idempotency_keys", "--hours", "23")


def test_the_purge_runs_on_beat(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == purge_idempotency_keys_task.name
    assert entry["schedule"] <= 24 * 3600


# --- OpenAPI ----------------------------------------------------------------------------------


def test_schema_documents_the_header_on_exactly_the_idempotent_operations(
    api_client: APIClient,
) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    with_header = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            if "Idempotency-Key" in names:
                with_header[(method, path)] = operation

    assert set(with_header) == {
        ("post", "/api/appointments/"),
        ("post", "/api/appointments/{id}/cancel_payment/"),
        ("post", "/api/appointments/{id}/refund/"),
    }
    for operation in with_header.values():
        [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert parameter.get("required", False) is False
        assert parameter["schema"]["maxLength"] == 255
        assert {"409", "422"} <= set(operation["responses"])
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert "Idempotent-Replayed" in operation["responses"][success]["headers"]


def test_browsers_may_send_the_key_and_read_the_replay_header(settings: Any) -> None:
    origin = "https://app.clinica.example"
    settings.CORS_ALLOWED_ORIGINS = [origin]

    preflight = APIClient().options(
        URL,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    simple = APIClient().get("/health/", HTTP_ORIGIN=origin)

    assert preflight.status_code == 200
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    assert "Idempotent-Replayed" in simple["Access-Control-Expose-Headers"]
