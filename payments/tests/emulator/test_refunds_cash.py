from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payments.emulator import EmulatorServer

from .conftest import Api, add_balance, balance_of, brt_today, event_names

MakePayment = Callable[..., dict[str, Any]]


def test_partial_refunds_up_to_the_value(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    payment = make_payment()
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    add_balance(control, emulator.root_wallet_id, 10)  # the Pix fee (1.99) is not refunded
    path = f"/v3/payments/{payment['id']}/refund"
    partial = api.ok("POST", path, {"value": 30})
    assert partial["status"] == "RECEIVED"
    assert [r["value"] for r in partial["refunds"]] == [30]
    assert partial["refunds"][0]["status"] == "DONE"
    too_much = api.post(path, {"value": 70.01})
    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["code"] == "invalid_value"
    assert api.post(path, {"value": 0}).status_code == 400
    rest = api.ok("POST", path, {"value": 70})
    assert rest["status"] == "REFUNDED"
    listed = api.ok("GET", f"/v3/payments/{payment['id']}/refunds")
    assert [r["value"] for r in listed["data"]] == [30, 70]
    assert balance_of(api) == 8.01  # 98.01 net + 10 added - 100 refunded
    assert event_names(control, payment["id"])[-2:] == [
        "PAYMENT_PARTIALLY_REFUNDED",
        "PAYMENT_REFUNDED",
    ]


def test_refund_needs_a_paid_payment(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    response = api.post(f"/v3/payments/{payment['id']}/refund")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_action"


def test_receive_in_cash_cancels_splits_and_undo(
    api: Api, control: Api, make_payment: MakePayment, subaccount: dict[str, Any]
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
    assert event_names(control, payment["id"])[-2:] == [
        "PAYMENT_RECEIVED",
        "PAYMENT_SPLIT_CANCELLED",
    ]
    assert api.post(f"{path}/refund").status_code == 400
    undone = api.ok("POST", f"{path}/undoReceivedInCash")
    assert undone["status"] == "PENDING"
    assert undone["paymentDate"] is None
    assert undone["split"][0]["status"] == "PENDING"
    assert api.post(f"{path}/undoReceivedInCash").status_code == 400
