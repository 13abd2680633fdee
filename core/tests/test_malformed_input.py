"""Malformed input never answers 500: every case of the adversarial review gets a 4xx in the
standard JSON error shape, in Portuguese; routes answer with and without the trailing slash;
unknown paths under /api/ are JSON 404 whatever DEBUG says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/payments/webhooks/asaas/"
WEBHOOK_TOKEN = "token-de-webhook-para-os-testes-0123456789"


def assert_json_4xx(response: Any, *codes: int) -> dict[str, Any]:
    assert response.status_code in (codes or range(400, 500)), (
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    data: dict[str, Any] = response.json()
    assert isinstance(data, dict)
    assert data
    return data


@pytest.mark.parametrize(
    "query",
    [
        "date=9999-12-31",
        "date=9999-12-31T23:59:59-23:59",
        "date=0001-01-01T00:00:00%2B23:59",
        "date=0001-01-01",
        "date_start=9999-12-31T23:59:59-23:59",
        "date_end=9999-12-31",
        "end_date=0001-01-01T00:00:00%2B23:59",
    ],
)
def test_out_of_range_date_filters_are_400(api_client: APIClient, query: str) -> None:
    data = assert_json_4xx(api_client.get(f"/api/appointments/?{query}"), 400)

    field = query.split("=")[0]
    assert field in data
    assert "Informe" in data[field][0]


@pytest.mark.parametrize(
    "date", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59"]
)
def test_out_of_range_appointment_date_is_400(api_client: APIClient, date: str) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.post(
        "/api/appointments/", {"date": date, "professional": professional.pk}, format="json"
    )

    assert "date" in assert_json_4xx(response, 400)


@pytest.fixture
def webhook(settings: Any) -> Client:
    settings.ASAAS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    return Client(HTTP_ASAAS_ACCESS_TOKEN=WEBHOOK_TOKEN)


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay\\u0000x"}}',
        '{"id": "evt_2", "event": "PAYMENT_RECEIVED", "payment": {"value": NaN}}',
        '{"id": "evt_3", "event": "PAYMENT_RECEIVED", "payment": {"value": Infinity}}',
        '{"id": "evt_4", "event": "PAYMENT_RECEIVED", "payment": {"value": -Infinity}}',
        "[" * 1_000 + "]" * 1_000,
        '{"id": ' * 500 + "1" + "}" * 500,
    ],
    ids=["nul", "nan", "infinity", "-infinity", "deep-list", "deep-object"],
)
def test_webhook_malformed_json_is_400(webhook: Client, body: str, settings: Any) -> None:
    settings.WEBHOOK_MAX_BYTES = 10**7  # the parser's own refusal, not the size limit

    response = webhook.post(WEBHOOK, body, content_type="application/json")

    data = assert_json_4xx(response, 400)
    assert data.get("non_field_errors") or data.get("id")  # deep-object: its id is no string


@pytest.mark.parametrize("depth", [100_000, 20_000])
def test_webhook_absurd_nesting_is_4xx(webhook: Client, settings: Any, depth: int) -> None:
    settings.WEBHOOK_MAX_BYTES = 10**7
    body = "[" * depth + "]" * depth

    assert "non_field_errors" in assert_json_4xx(
        webhook.post(WEBHOOK, body, content_type="application/json"), 400
    )


def test_deeply_nested_json_on_the_api_is_400(api_client: APIClient) -> None:
    body = '{"preferred_name": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = api_client.post("/api/professionals/", body, content_type="application/json")

    assert assert_json_4xx(response, 400)["non_field_errors"]


def test_nul_character_in_a_string_is_400(api_client: APIClient) -> None:
    body = {"name": "Maria\x00", "cpf": "529.982.247-25"}

    response = api_client.post("/api/patients/", body, format="json")

    assert assert_json_4xx(response, 400) == {"name": ["Caracteres nulos não são permitidos."]}


@pytest.mark.parametrize("path", ["/api/professionals/", WEBHOOK, "/api/auth/token/"])
def test_body_over_the_upload_limit_is_json(
    api_client: APIClient, settings: Any, path: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.ASAAS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    body = json.dumps({"preferred_name": "x" * 20_000})

    response = api_client.post(
        path, body, content_type="application/json", HTTP_ASAAS_ACCESS_TOKEN=WEBHOOK_TOKEN
    )

    data = assert_json_4xx(response, 400, 413)
    assert "detail" in data or "non_field_errors" in data


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/token", {"username": "ninguem", "password": "errada"}),
        ("/api/professionals", {"preferred_name": ""}),
        ("/api/payments/webhooks/asaas", {"event": "PAYMENT_RECEIVED"}),
        ("/api/patients", {}),
    ],
)
def test_post_without_trailing_slash_is_the_same_endpoint(
    api_client: APIClient, path: str, body: dict[str, str]
) -> None:
    without = api_client.post(path, body, format="json")
    with_slash = api_client.post(f"{path}/", body, format="json")

    assert without.status_code == with_slash.status_code
    assert without.status_code in {400, 401}
    assert without.json() == with_slash.json()


def test_get_without_trailing_slash_answers_without_redirect(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()

    listing = api_client.get("/api/professionals")
    detail = api_client.get(f"/api/professionals/{professional.pk}")
    status = api_client.get(f"/api/appointments/{professional.pk}/payment_status")

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert detail.json()["id"] == professional.pk
    assert status.status_code == 404  # no such appointment: JSON 404, not a redirect
    assert status.json() == {"detail": "Não encontrado."}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/api/professionals/abc/",
        "/api/professionals/1.5/",
        "/api/professionals/-1/",
        "/api/appointments/abc/payment_status/",
        "/api/nao-existe/",
        "/api/",
        "/api/professionals/1/nada/",
    ],
)
def test_unknown_api_paths_are_json_404(
    api_client: APIClient, settings: Any, debug: bool, path: str
) -> None:
    settings.DEBUG = debug

    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Não encontrado."}


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/appointments/", "profissional=2", "profissional"),
        ("/api/appointments/", "status=PAID", "status"),
        ("/api/professionals/", "nome=Ana", "nome"),
        ("/api/patients/", "cpf=52998224725", "cpf"),
        ("/api/professionals/", "ordering=,", "ordering"),
        ("/api/professionals/", "ordering=preferred_name&ordering=profession", "ordering"),
        ("/api/payments/metrics/", "dias=7", "dias"),
        ("/api/payments/metrics/", "days=7&days=8", "days"),
    ],
)
def test_unknown_or_repeated_query_parameters_are_400_by_name(
    api_client: APIClient, path: str, query: str, name: str
) -> None:
    response = api_client.get(f"{path}?{query}")

    assert list(assert_json_4xx(response, 400)) == [name]


def test_unknown_query_parameter_on_payment_status_is_400(api_client: APIClient) -> None:
    from core.tests.factories import AppointmentFactory

    appointment = AppointmentFactory.create()
    url = f"/api/appointments/{appointment.pk}/payment_status/"

    assert api_client.get(f"{url}?refresh=false").status_code == 200
    assert list(assert_json_4xx(api_client.get(f"{url}?atualizar=1"), 400)) == ["atualizar"]
    assert api_client.get(f"{url}?refresh=TRUE").status_code == 400


def test_the_schema_says_unknown_parameters_are_refused(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()

    for path in ("/api/appointments/", "/api/patients/", "/api/professionals/"):
        assert "Parâmetros de consulta não listados" in schema["paths"][path]["get"]["description"]
    parameters = {p["name"]: p for p in schema["paths"]["/api/appointments/"]["get"]["parameters"]}
    assert parameters["professional"]["schema"]["minimum"] == 1
    assert "pattern" in parameters["date"]["schema"]
    days = schema["paths"]["/api/payments/metrics/"]["get"]["parameters"][0]["schema"]
    assert (days["minimum"], days["maximum"]) == (1, 90)


def test_webhook_nul_only_matters_in_the_fields_it_keeps(webhook: Client) -> None:
    from payments.models import WebhookEvent

    kept = '{"id": "evt_nul\\u0000", "event": "PAYMENT_RECEIVED"}'
    dropped = '{"id": "evt_extra", "event": "PAYMENT_RECEIVED", "x\\u0000": {"y": "\\u0000"}}'

    refused = webhook.post(WEBHOOK, kept, content_type="application/json")
    accepted = webhook.post(WEBHOOK, dropped, content_type="application/json")

    assert "non_field_errors" in assert_json_4xx(refused, 400)
    assert accepted.status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_extra").payload == {
        "id": "evt_extra",
        "event": "PAYMENT_RECEIVED",
    }


def test_webhook_payment_must_be_an_object(webhook: Client) -> None:
    body = '{"id": "evt_pay", "event": "PAYMENT_RECEIVED", "payment": 5}'

    response = webhook.post(WEBHOOK, body, content_type="application/json")

    assert "payment" in assert_json_4xx(response, 400)
