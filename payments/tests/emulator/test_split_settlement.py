"""Split lifecycle over the clock: AWAITING_CREDIT → DONE at credit, CANCELLED before it,
REFUNDED after it; PAYMENT_SPLIT_* events; the issuer's and the receiver's split lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from payments.emulator import EmulatorServer

from .conftest import Api, add_balance, advance, balance_of, event_names, webhook_log

MakePayment = Callable[..., dict[str, Any]]


def _split_payment(make_payment: MakePayment, wallet_id: str, fixed: float = 40) -> dict[str, Any]:
    return make_payment(
        split=[{"walletId": wallet_id, "fixedValue": fixed, "externalReference": "prof-1"}]
    )


def test_pix_split_settles_after_the_delay_with_an_event(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment,
    subaccount: dict[str, Any],
) -> None:  # fmt: skip
    payment = _split_payment(make_payment, subaccount["walletId"])
    received = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert received["split"][0]["status"] == "AWAITING_CREDIT"
    assert advance(control, seconds=30) == []  # the settlement delay is 60 s
    path = f"/v3/payments/{payment['id']}"
    assert api.ok("GET", path)["split"][0]["status"] == "AWAITING_CREDIT"
    assert advance(control, seconds=31) == ["PAYMENT_SPLIT_DONE"]
    [split] = api.ok("GET", path)["split"]
    assert (split["status"], split["cancellationReason"]) == ("DONE", None)

    done = [e for e in webhook_log(control)["events"] if e["event"] == "PAYMENT_SPLIT_DONE"]
    assert done[0]["payload"]["additionalInfo"] == {"splitId": split["id"]}
    assert done[0]["payload"]["payment"]["split"][0]["status"] == "DONE"
    # money: issuer keeps net 98.01 - 40; the receiver has 40
    assert balance_of(api) == 58.01
    sub = Api(emulator.url, subaccount["apiKey"])
    assert balance_of(sub) == 40

    received_list = sub.ok("GET", "/v3/payments/splits/received")
    assert received_list["totalCount"] == 1
    item = received_list["data"][0]
    assert item["id"] == split["id"]
    assert item["status"] == "DONE"
    assert item["totalValue"] == 40
    assert item["externalReference"] == "prof-1"
    assert item["destinationAccountId"] == subaccount["id"]
    assert item["creditDate"] == received["paymentDate"]
    assert item["payment"] == {
        "confirmedDate": received["confirmedDate"],
        "invoiceNumber": received["invoiceNumber"],
        "externalReference": None,
    }
    assert sub.ok("GET", f"/v3/payments/splits/received/{split['id']}")["id"] == split["id"]
    assert sub.ok("GET", "/v3/payments/splits/paid")["totalCount"] == 0
    paid = api.ok("GET", f"/v3/payments/splits/paid?paymentId={payment['id']}&status=DONE")
    assert [s["id"] for s in paid["data"]] == [split["id"]]
    assert api.ok("GET", "/v3/payments/splits/paid?status=CANCELLED")["totalCount"] == 0
    assert api.get(f"/v3/payments/splits/paid/{uuid.uuid4()}").status_code == 404


def test_full_refund_before_settlement_cancels_the_split(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment,
    subaccount: dict[str, Any],
) -> None:  # fmt: skip
    payment = _split_payment(make_payment, subaccount["walletId"])
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    add_balance(control, emulator.root_wallet_id, 1.99)  # covers the retained fee
    refunded = api.ok("POST", f"/v3/payments/{payment['id']}/refund")
    assert refunded["status"] == "REFUNDED"
    [split] = refunded["split"]
    assert (split["status"], split["cancellationReason"]) == ("CANCELLED", "PAYMENT_REFUNDED")
    assert refunded["refunds"][0]["refundedSplits"] == []
    assert event_names(control, payment["id"])[-2:] == [
        "PAYMENT_REFUNDED",
        "PAYMENT_SPLIT_CANCELLED",
    ]
    assert advance(control, days=2) == []  # a cancelled split never settles
    assert balance_of(api) == 0
    sub = Api(emulator.url, subaccount["apiKey"])
    assert balance_of(sub) == 0
    listed = sub.ok("GET", "/v3/payments/splits/received?status=CANCELLED")
    assert listed["data"][0]["cancellationReason"] == "PAYMENT_REFUNDED"


def test_full_refund_after_settlement_reverses_the_split(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment,
    subaccount: dict[str, Any],
) -> None:  # fmt: skip
    payment = _split_payment(make_payment, subaccount["walletId"], fixed=30)
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    advance(control, minutes=2)
    add_balance(control, emulator.root_wallet_id, 1.99)
    refunded = api.ok("POST", f"/v3/payments/{payment['id']}/refund", {"description": "cancelada"})
    assert refunded["status"] == "REFUNDED"
    [split] = refunded["split"]
    assert split["status"] == "REFUNDED"
    [refund] = refunded["refunds"]
    assert (refund["value"], refund["status"], refund["description"]) == (100, "DONE", "cancelada")
    assert refund["refundedSplits"] == [{"id": split["id"], "value": 30, "done": True}]
    assert refund["endToEndIdentifier"].startswith("E")
    assert balance_of(Api(emulator.url, subaccount["apiKey"])) == 0
    assert balance_of(api) == 0
    assert api.post(f"/v3/payments/{payment['id']}/refund").status_code == 400


def test_receive_in_cash_never_moves_money(
    api: Api, control: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = _split_payment(make_payment, subaccount["walletId"])
    api.ok("POST", f"/v3/payments/{payment['id']}/receiveInCash", {"value": 100})
    advance(control, days=3)
    assert balance_of(api) == 0
    assert api.ok("GET", f"/v3/payments/{payment['id']}")["split"][0]["status"] == "CANCELLED"
