"""Refund money rules: retained fee + balance, splitRefunds, card refund statuses/events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payments.emulator import EmulatorServer

from .conftest import Api, add_balance, advance, balance_of, event_names

MakePayment = Callable[..., dict[str, Any]]
CARD = {
    "holderName": "Paciente Teste",
    "number": "5162306219378829",
    "expiryMonth": "12",
    "expiryYear": "2035",
    "ccv": "318",
}
HOLDER = {
    "name": "Paciente Teste",
    "email": "paciente@example.com",
    "cpfCnpj": "24971563792",
    "postalCode": "89010000",
    "addressNumber": "10",
    "phone": "4733334444",
}


def test_full_refund_of_a_just_received_pix_needs_balance_for_the_fee(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    payment = make_payment()
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert balance_of(api) == 98.01
    response = api.post(f"/v3/payments/{payment['id']}/refund")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert set(error) == {"code", "description"}
    assert error["code"] == "invalid_action"
    assert "Saldo insuficiente" in error["description"]
    unchanged = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert (unchanged["status"], unchanged["refunds"]) == ("RECEIVED", None)
    add_balance(control, emulator.root_wallet_id, 1.98)  # one cent short
    assert api.post(f"/v3/payments/{payment['id']}/refund").status_code == 400
    add_balance(control, emulator.root_wallet_id, 0.01)
    assert api.ok("POST", f"/v3/payments/{payment['id']}/refund")["status"] == "REFUNDED"
    assert balance_of(api) == 0


def _settled_split_payment(
    api: Api, control: Api, make_payment: MakePayment, wallets: list[str]
) -> dict[str, Any]:
    payment = make_payment(split=[{"walletId": w, "fixedValue": 20} for w in wallets])
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    advance(control, minutes=2)
    settled = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert {s["status"] for s in settled["split"]} == {"DONE"}
    return settled


def test_split_refunds_take_money_back_from_the_receiver(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment,
    subaccount: dict[str, Any],
) -> None:  # fmt: skip
    payment = _settled_split_payment(api, control, make_payment, [subaccount["walletId"]])
    split_id = payment["split"][0]["id"]
    path = f"/v3/payments/{payment['id']}/refund"
    partial = api.ok("POST", path, {"value": 50, "splitRefunds": [{"id": split_id, "value": 5}]})
    assert partial["status"] == "RECEIVED"
    assert partial["refunds"][0]["refundedSplits"] == [{"id": split_id, "value": 5, "done": True}]
    assert partial["split"][0]["status"] == "DONE"  # only part of it was reversed
    sub = Api(emulator.url, subaccount["apiKey"])
    assert balance_of(sub) == 15
    assert balance_of(api) == 33.01  # 78.01 after the split, minus 50 - 5
    assert event_names(control, payment["id"])[-1] == "PAYMENT_PARTIALLY_REFUNDED"


@pytest.mark.parametrize(
    ("split_refunds", "fragment"),
    [
        ("not-a-list", "lista"),
        ([{"id": "nope", "value": 1}], "não pertence"),
        ([{"value": 1}], "id e value"),
        ([{"id": "SPLIT", "value": 0}], "maior que zero"),
        ([{"id": "SPLIT", "value": 20.01}], "excede"),
        ([{"id": "SPLIT", "value": 1}, {"id": "SPLIT", "value": 1}], "mais de uma vez"),
        ([{"id": "SPLIT", "value": 20}], "soma"),  # refund of 10 < 20 of split refunds
    ],
)
def test_split_refunds_are_validated(
    api: Api, control: Api, make_payment: MakePayment, subaccount: dict[str, Any],
    split_refunds: Any, fragment: str,
) -> None:  # fmt: skip
    payment = _settled_split_payment(api, control, make_payment, [subaccount["walletId"]])
    split_id = payment["split"][0]["id"]
    if isinstance(split_refunds, list):
        split_refunds = [
            {**item, "id": split_id} if item.get("id") == "SPLIT" else item
            for item in split_refunds
        ]
    response = api.post(
        f"/v3/payments/{payment['id']}/refund", {"value": 10, "splitRefunds": split_refunds}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "invalid_splitRefunds"
    assert fragment in error["description"]
    assert api.ok("GET", f"/v3/payments/{payment['id']}")["refunds"] is None


def test_split_refunds_of_an_unsettled_split_are_refused(
    api: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 20}])
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    split_id = api.ok("GET", f"/v3/payments/{payment['id']}")["split"][0]["id"]
    body = {"value": 10, "splitRefunds": [{"id": split_id, "value": 5}]}
    response = api.post(f"/v3/payments/{payment['id']}/refund", body)
    assert response.json()["errors"][0]["code"] == "invalid_splitRefunds"
    assert "AWAITING_CREDIT" in response.json()["errors"][0]["description"]


def test_card_refund_while_confirmed_goes_through_refund_in_progress(
    api: Api, control: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(
        billingType="CREDIT_CARD",
        creditCard=CARD,
        creditCardHolderInfo=HOLDER,
        split=[{"walletId": subaccount["walletId"], "fixedValue": 20}],
    )
    assert payment["status"] == "CONFIRMED"
    in_progress = api.ok("POST", f"/v3/payments/{payment['id']}/refund")
    assert in_progress["status"] == "REFUND_IN_PROGRESS"
    assert in_progress["refunds"][0]["status"] == "PENDING"
    assert in_progress["refunds"][0]["endToEndIdentifier"] is None
    assert api.post(f"/v3/payments/{payment['id']}/refund").status_code == 400
    assert event_names(control, payment["id"]) == [
        "PAYMENT_CREATED",
        "PAYMENT_CONFIRMED",
        "PAYMENT_REFUND_IN_PROGRESS",
    ]
    assert advance(control, days=31) == []  # before the credit date nothing happens
    events = advance(control, days=5)
    assert events == ["PAYMENT_REFUNDED", "PAYMENT_SPLIT_CANCELLED"]
    done = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert done["status"] == "REFUNDED"
    assert done["refunds"][0]["status"] == "DONE"
    assert done["split"][0]["cancellationReason"] == "PAYMENT_REFUNDED"
    assert balance_of(api) == -3.48  # the card fee is kept by Asaas


def test_card_refund_after_credit_goes_through_refund_requested(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    payment = make_payment(billingType="CREDIT_CARD", creditCard=CARD, creditCardHolderInfo=HOLDER)
    assert advance(control, days=40) == ["PAYMENT_RECEIVED"]
    received = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert received["status"] == "RECEIVED"
    assert received["paymentDate"] == received["creditDate"]
    assert balance_of(api) == 96.52
    partial = api.ok("POST", f"/v3/payments/{payment['id']}/refund", {"value": 40})
    assert partial["status"] == "REFUND_REQUESTED"
    assert partial["refunds"][0]["status"] == "PENDING"
    assert advance(control, seconds=61) == ["PAYMENT_PARTIALLY_REFUNDED"]
    back = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert (back["status"], back["refunds"][0]["status"]) == ("RECEIVED", "DONE")
    add_balance(control, emulator.root_wallet_id, 3.48)
    assert api.ok("POST", f"/v3/payments/{payment['id']}/refund")["status"] == "REFUND_REQUESTED"
    assert advance(control, seconds=61) == ["PAYMENT_REFUNDED"]
    assert api.ok("GET", f"/v3/payments/{payment['id']}")["status"] == "REFUNDED"
    assert balance_of(api) == 0
