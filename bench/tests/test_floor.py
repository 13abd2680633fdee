"""The floor's views: same pagination shape as the API, one persistent psycopg connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.test import RequestFactory

from appointments.models import Appointment
from bench import floor
from payments.models import WebhookEvent
from professionals.models import Professional

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _close_floor_connection() -> Iterator[None]:
    yield
    if floor._connection is not None:
        floor._connection.close()
        floor._connection = None


@pytest.fixture
def agenda() -> dict[str, Any]:
    pros = [
        Professional.objects.create(
            preferred_name=f"Dra. Ana {n:02d}" if n % 2 else f"Dr. Bruno {n:02d}",
            profession="Psicóloga",
            address="Rua A, 1",
            contact=f"p{n}@exemplo.com.br",
        )
        for n in range(25)
    ]
    start = dt.datetime(2025, 3, 3, 11, 0, tzinfo=dt.UTC)
    for n in range(30):
        Appointment.objects.create(
            professional=pros[0], date=start + dt.timedelta(days=n), duration_minutes=30
        )
    return {"pros": pros}


def _get(view: Any, path: str, **kwargs: Any) -> tuple[int, Any, str]:
    response = view(RequestFactory().get(path), **kwargs)
    return response.status_code, orjson.loads(response.content), response["X-Bench-SQL"]


def test_professionals_page_has_the_api_shape(agenda: dict[str, Any]) -> None:
    status, body, sql = _get(floor.professionals, "/floor/professionals/")
    assert (status, sql) == (200, "2")
    assert set(body) == {"count", "next", "previous", "results"}
    assert (body["count"], len(body["results"])) == (25, 20)
    assert body["previous"] is None
    assert body["next"].endswith("/floor/professionals/?page=2")
    names = [row["preferred_name"] for row in body["results"]]
    assert names == sorted(names)
    assert body["results"][0]["split_percentage"] == "85.00"
    status, body, _ = _get(floor.professionals, "/floor/professionals/?page=2")
    assert len(body["results"]) == 5
    assert body["next"] is None
    assert body["previous"].endswith("/floor/professionals/")


def test_search_and_detail(agenda: dict[str, Any]) -> None:
    _, body, _ = _get(floor.professionals, "/floor/professionals/?search=ana")
    assert body["count"] == 12
    pro = agenda["pros"][3]
    status, body, sql = _get(floor.professional, "/", pk=pro.pk)
    assert (status, body["id"], sql) == (200, pro.pk, "1")
    status, body, _ = _get(floor.professional, "/", pk=10**9)
    assert status == 404


def test_appointments_by_professional_and_date_range(agenda: dict[str, Any]) -> None:
    pro = agenda["pros"][0]
    _, body, _ = _get(floor.appointments, f"/floor/appointments/?professional={pro.pk}")
    assert body["count"] == 30
    first = body["results"][0]
    assert first["professional"] == pro.pk
    assert first["professional_data"] == {
        "id": pro.pk,
        "preferred_name": pro.preferred_name,
        "profession": pro.profession,
    }
    _, body, _ = _get(
        floor.appointments,
        f"/floor/appointments/?professional={pro.pk}&start_date=2025-03-10&end_date=2025-03-16",
    )
    assert body["count"] == 7
    _, body, _ = _get(floor.appointment, "/", pk=first["id"])
    assert body["id"] == first["id"]


def test_patients(agenda: dict[str, Any]) -> None:
    _, body, _ = _get(floor.patients, "/floor/patients/")
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    status, _, _ = _get(floor.patient, "/", pk=1)
    assert status == 404


def test_webhook_acknowledges_by_storing_the_event(db: None) -> None:
    factory = RequestFactory()
    body = orjson.dumps({"id": "evt_floor_1", "event": "PAYMENT_UPDATED", "payment": {"id": "p1"}})

    def post(token: str, content: bytes = body) -> Any:
        return floor.webhook(
            factory.post(
                "/floor/webhook/",
                content,
                content_type="application/json",
                HTTP_ASAAS_ACCESS_TOKEN=token,
            )
        )

    assert post("wrong").status_code == 401
    assert not WebhookEvent.objects.exists()
    response = post(settings.ASAAS_WEBHOOK_TOKEN)
    assert response.status_code == 200
    assert orjson.loads(response.content) == {
        "received": True,
        "duplicate": False,
        "outcome": "RECEIVED",
    }
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.asaas_payment_id) == ("evt_floor_1", "p1")
    assert orjson.loads(post(settings.ASAAS_WEBHOOK_TOKEN).content)["duplicate"] is True
    assert post(settings.ASAAS_WEBHOOK_TOKEN, b"{").status_code == 400
    assert floor.webhook(factory.get("/floor/webhook/")).status_code == 405
