from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import Api, brt_today

MakePayment = Callable[..., dict[str, Any]]


def test_full_refund_reverses_splits(
    api: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 30}])
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    refunded = api.ok("POST", f"/v3/payments/{payment['id']}/refund", {"description": "cancelada"})
    assert refunded["status"] == "REFUNDED"
    assert refunded["split"][0]["status"] == "REFUNDED"
    [refund] = refunded["refunds"]
    assert refund["value"] == 100
    assert refund["status"] == "DONE"
    assert refund["description"] == "cancelada"
    assert refund["refundedSplits"] == [
        {"id": refunded["split"][0]["id"], "value": 30, "done": True}
    ]
    assert refund["endToEndIdentifier"].startswith("E")
    assert api.post(f"/v3/payments/{payment['id']}/refund").status_code == 400


def test_partial_refunds_up_to_the_value(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    path = f"/v3/payments/{payment['id']}/refund"
    partial = api.ok("POST", path, {"value": 30})
    assert partial["status"] == "RECEIVED"
    assert [r["value"] for r in partial["refunds"]] == [30]
    too_much = api.post(path, {"value": 70.01})
    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["code"] == "invalid_value"
    assert api.post(path, {"value": 0}).status_code == 400
    rest = api.ok("POST", path, {"value": 70})
    assert rest["status"] == "REFUNDED"
    listed = api.ok("GET", f"/v3/payments/{payment['id']}/refunds")
    assert [r["value"] for r in listed["data"]] == [30, 70]


def test_refund_needs_a_paid_payment(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    response = api.post(f"/v3/payments/{payment['id']}/refund")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_action"


def test_card_refund_while_confirmed(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment(billingType="CREDIT_CARD")
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    refunded = api.ok("POST", f"/v3/payments/{payment['id']}/refund")
    assert refunded["status"] == "REFUNDED"
    assert refunded["refunds"][0]["endToEndIdentifier"] is None


def test_receive_in_cash_cancels_splits_and_undo(
    api: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "percentualValue": 20}])
    path = f"/v3/payments/{payment['id']}"
    cash = api.ok(
        "POST",
        f"{path}/receiveInCash",
        {"paymentDate": brt_today().isoformat(), "value": 100, "notifyCustomer": False},
    )
    assert cash["status"] == "RECEIVED_IN_CASH"
    assert cash["paymentDate"] == brt_today().isoformat()
    assert cash["split"][0]["status"] == "CANCELLED"
    assert cash["split"][0]["cancellationReason"] == "PAYMENT_RECEIVED_IN_CASH"
    assert api.post(f"{path}/refund").status_code == 400
    undone = api.ok("POST", f"{path}/undoReceivedInCash")
    assert undone["status"] == "PENDING"
    assert undone["paymentDate"] is None
    assert undone["split"][0]["status"] == "PENDING"
    assert api.post(f"{path}/undoReceivedInCash").status_code == 400
