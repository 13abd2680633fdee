"""Card data on create / payWithCreditCard / tokenize, compared with the sandbox captures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import VALID_CPF, Api, event_names
from .golden import APPROVED_CARDS, CARD_PAYMENT_KEYS, DECLINE_ERROR, DECLINED_CARDS
from .test_clock import CARD, HOLDER

MakePayment = Callable[..., dict[str, Any]]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.parametrize("number", sorted(APPROVED_CARDS))
def test_approved_card_confirms_with_the_masked_card(
    control: Api, make_payment: MakePayment, number: str
) -> None:
    payment = make_payment(
        billingType="CREDIT_CARD",
        creditCard={**CARD, "number": number},
        creditCardHolderInfo=HOLDER,
    )
    assert set(payment) == CARD_PAYMENT_KEYS
    assert payment["status"] == "CONFIRMED"
    assert payment["netValue"] == 96.52
    last4, brand = APPROVED_CARDS[number]
    card = payment["creditCard"]
    assert set(card) == {"creditCardNumber", "creditCardBrand", "creditCardToken"}
    assert (card["creditCardNumber"], card["creditCardBrand"]) == (last4, brand)
    assert re.fullmatch(UUID, card["creditCardToken"])
    assert payment["transactionReceiptUrl"]
    assert number not in str(control.ok("GET", "/_emulator/state"))  # never stored
    assert event_names(control, payment["id"]) == ["PAYMENT_CREATED", "PAYMENT_CONFIRMED"]
    created = control.ok("GET", "/_emulator/webhooks")["events"][0]
    assert created["payload"]["payment"]["status"] == "PENDING"


@pytest.mark.parametrize("number", DECLINED_CARDS)
def test_sandbox_decline_numbers_are_declined(
    api: Api, customer: dict[str, Any], number: str
) -> None:
    body = {
        "customer": customer["id"],
        "billingType": "CREDIT_CARD",
        "value": 100,
        "dueDate": "2099-01-01",
        "creditCard": {**CARD, "number": number},
        "creditCardHolderInfo": HOLDER,
    }
    response = api.post("/v3/payments", body)
    assert response.status_code == 400
    assert response.json() == {"errors": [DECLINE_ERROR]}
    assert api.ok("GET", "/v3/payments")["totalCount"] == 0


def test_token_reuse_and_unknown_or_foreign_token(
    api: Api, make_payment: MakePayment, customer: dict[str, Any]
) -> None:
    first = make_payment(billingType="CREDIT_CARD", creditCard=CARD, creditCardHolderInfo=HOLDER)
    token = first["creditCard"]["creditCardToken"]
    again = make_payment(billingType="CREDIT_CARD", creditCardToken=token)
    assert again["status"] == "CONFIRMED"
    assert again["creditCard"] == first["creditCard"]
    other = api.ok("POST", "/v3/customers", {"name": "Outra", "cpfCnpj": VALID_CPF})
    body = {
        "customer": other["id"],
        "billingType": "CREDIT_CARD",
        "value": 100,
        "dueDate": "2099-01-01",
        "creditCardToken": token,
    }
    foreign = api.post("/v3/payments", body)
    assert foreign.json() == {
        "errors": [
            {
                "code": "invalid_creditCard",
                "description": f"CreditCardToken {token} não encontrado.",
            }
        ]
    }
    body["creditCardToken"] = "nao-existe-este-token"
    assert api.post("/v3/payments", body).json()["errors"][0]["description"] == (
        "CreditCardToken nao-existe-este-token não encontrado."
    )


def test_tokenize_then_pay_an_existing_charge(
    api: Api, make_payment: MakePayment, customer: dict[str, Any]
) -> None:
    tokenized = api.ok(
        "POST",
        "/v3/creditCard/tokenize",
        {"customer": customer["id"], "creditCard": CARD, "creditCardHolderInfo": HOLDER},
    )
    assert (tokenized["creditCardNumber"], tokenized["creditCardBrand"]) == ("8829", "MASTERCARD")
    declined = api.post(
        "/v3/creditCard/tokenize",
        {
            "customer": customer["id"],
            "creditCard": {**CARD, "number": DECLINED_CARDS[0]},
            "creditCardHolderInfo": HOLDER,
        },
    )
    assert declined.json() == {"errors": [DECLINE_ERROR]}
    payment = make_payment(billingType="CREDIT_CARD")
    assert (payment["status"], payment["creditCard"]) == ("PENDING", None)
    paid = api.ok(
        "POST",
        f"/v3/payments/{payment['id']}/payWithCreditCard",
        {"creditCardToken": tokenized["creditCardToken"]},
    )
    assert paid["status"] == "CONFIRMED"
    assert paid["creditCard"] == tokenized
    again = api.post(
        f"/v3/payments/{payment['id']}/payWithCreditCard",
        {"creditCardToken": tokenized["creditCardToken"]},
    )
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("card", "holder", "code"),
    [
        ({**CARD, "ccv": ""}, HOLDER, "invalid_creditCard"),
        ({**CARD, "number": "1234"}, HOLDER, "invalid_creditCard"),
        ("4444", HOLDER, "invalid_creditCard"),
        (CARD, None, "invalid_creditCardHolderInfo"),
        (CARD, {**HOLDER, "cpfCnpj": ""}, "invalid_creditCardHolderInfo"),
    ],
)
def test_card_fields_are_checked(
    api: Api, customer: dict[str, Any], card: Any, holder: Any, code: str
) -> None:
    body = {
        "customer": customer["id"],
        "billingType": "CREDIT_CARD",
        "value": 100,
        "dueDate": "2099-01-01",
        "creditCard": card,
        "creditCardHolderInfo": holder,
    }
    response = api.post("/v3/payments", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
