"""Webhook payloads: stored through an allowlist (no personal data, whatever Asaas sends) and
bounded in size (413, nothing stored)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.models import WebhookEvent
from payments.services.webhook_payload import webhook_payload_scrub

pytestmark = pytest.mark.django_db

URL = "/api/payments/webhooks/asaas/"
TOKEN = "whk-token-for-payload-tests-0123456789"
PERSONAL = {
    "customerName": "Maria Oliveira",
    "customerEmail": "maria@example.com",
    "cpfCnpj": "52998224725",
    "name": "Maria Oliveira",
    "mobilePhone": "11987654321",
    "description": "Consulta de Maria Oliveira",
    "creditCard": {"creditCardNumber": "4111", "creditCardBrand": "VISA"},
    "billingAddress": {"street": "Rua X"},
}


def body(**extra_payment: Any) -> dict[str, Any]:
    return {
        "id": "evt_allowlist_1",
        "event": "PAYMENT_RECEIVED",
        "dateCreated": "2030-01-01 10:00:00",
        "somethingNew": {"email": "x@example.com"},
        "payment": {
            "object": "payment",
            "id": "pay_123",
            "customer": "cus_000005",
            "value": 150.0,
            "netValue": 147.01,
            "status": "RECEIVED",
            "billingType": "PIX",
            "externalReference": "appointment-999999",
            "invoiceUrl": "https://www.asaas.com/i/123",
            "refunds": [{"value": 10, "status": "DONE", "description": "Maria", "email": "m@x"}],
            "split": [{"walletId": "w1", "percentualValue": 85, "customerName": "Maria"}],
            "chargeback": {"status": "REQUESTED", "reason": "X", "customerName": "Maria"},
            **PERSONAL,
            **extra_payment,
        },
    }


def post(raw: str, settings: Any) -> Any:
    settings.ASAAS_WEBHOOK_TOKEN = TOKEN
    return APIClient().generic(
        "POST", URL, data=raw, content_type="application/json", HTTP_ASAAS_ACCESS_TOKEN=TOKEN
    )


def test_only_allowlisted_fields_are_stored(settings: Any) -> None:
    response = post(json.dumps(body()), settings)

    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id="evt_allowlist_1").payload
    text = json.dumps(stored)
    for value in ("Maria", "maria@", "52998224725", "11987654321", "4111", "Rua X", "x@example"):
        assert value not in text, value
    assert set(stored) == {"id", "event", "dateCreated", "payment"}
    assert set(stored["payment"]) == {
        "object",
        "id",
        "customer",
        "value",
        "netValue",
        "status",
        "billingType",
        "externalReference",
        "invoiceUrl",
        "refunds",
        "split",
        "chargeback",
    }
    assert stored["payment"]["refunds"] == [{"value": 10, "status": "DONE"}]
    assert stored["payment"]["split"] == [{"walletId": "w1", "percentualValue": 85}]
    assert stored["payment"]["chargeback"] == {"status": "REQUESTED", "reason": "X"}


def test_scrub_bounds_strings_and_lists_and_drops_objects_in_scalar_fields() -> None:
    payload = body(
        id={"nested": "x"},
        invoiceUrl="u" * 10_000,
        refunds=[{"value": Decimal("1.00")}] * 500,
    )

    clean = webhook_payload_scrub(payload)

    assert clean["payment"]["id"] is None
    assert len(clean["payment"]["invoiceUrl"]) == 500
    assert len(clean["payment"]["refunds"]) == 50
    assert clean["payment"]["refunds"][0] == {"value": Decimal("1.00")}


def test_a_body_over_the_limit_is_413_and_stores_nothing(settings: Any) -> None:
    settings.WEBHOOK_MAX_BYTES = 64 * 1024
    raw = json.dumps(body(padding="x" * (2 * 1024 * 1024)))

    response = post(raw, settings)

    assert response.status_code == 413
    assert set(response.json()) == {"detail"}
    assert not WebhookEvent.objects.exists()


def test_a_body_at_the_limit_is_accepted(settings: Any) -> None:
    raw = json.dumps(body())
    settings.WEBHOOK_MAX_BYTES = len(raw.encode())

    assert post(raw, settings).status_code == 200
