"""Chargebacks opened and moved by control calls; statuses, chargeback object, events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Api, balance_of, event_names
from .test_clock import CARD, HOLDER

MakePayment = Callable[..., dict[str, Any]]
CHARGEBACK_KEYS = {
    "id", "payment", "installment", "customerAccount", "status", "reason", "disputeStartDate",
    "value", "paymentDate", "creditCard", "disputeStatus", "deadlineToSendDisputeDocuments",
}  # fmt: skip


@pytest.fixture
def card_payment(make_payment: MakePayment) -> dict[str, Any]:
    return make_payment(billingType="CREDIT_CARD", creditCard=CARD, creditCardHolderInfo=HOLDER)


def _call(control: Api, payment_id: str, step: str = "", body: Any = None) -> dict[str, Any]:
    return control.ok("POST", f"/_emulator/payments/{payment_id}/chargeback{step}", body or {})


def test_chargeback_dispute_won_and_reversal(
    api: Api, control: Api, card_payment: dict[str, Any]
) -> None:
    pay_id = card_payment["id"]
    opened = _call(control, pay_id, body={"reason": "SERVICE_NOT_RECEIVED"})
    assert opened["status"] == "CHARGEBACK_REQUESTED"
    chargeback = opened["chargeback"]
    assert set(chargeback) == CHARGEBACK_KEYS
    assert (chargeback["status"], chargeback["reason"]) == ("REQUESTED", "SERVICE_NOT_RECEIVED")
    assert chargeback["payment"] == pay_id
    assert chargeback["value"] == 100
    assert chargeback["creditCard"] == {"number": "8829", "brand": "MASTERCARD"}
    assert api.ok("GET", f"/v3/payments/{pay_id}")["chargeback"] == chargeback
    assert api.post(f"/v3/payments/{pay_id}/refund").status_code == 400

    disputed = _call(control, pay_id, "/dispute")
    assert disputed["status"] == "CHARGEBACK_DISPUTE"
    assert (disputed["chargeback"]["status"], disputed["chargeback"]["disputeStatus"]) == (
        "IN_DISPUTE",
        "REQUESTED",
    )
    won = _call(control, pay_id, "/resolve", {"result": "WON"})
    assert won["status"] == "AWAITING_CHARGEBACK_REVERSAL"
    assert won["chargeback"]["disputeStatus"] == "ACCEPTED"
    reversed_ = _call(control, pay_id, "/reversal")
    assert reversed_["status"] == "CONFIRMED"
    assert reversed_["chargeback"]["status"] == "REVERSED"
    assert event_names(control, pay_id) == [
        "PAYMENT_CREATED",
        "PAYMENT_CONFIRMED",
        "PAYMENT_CHARGEBACK_REQUESTED",
        "PAYMENT_CHARGEBACK_DISPUTE",
        "PAYMENT_AWAITING_CHARGEBACK_REVERSAL",
        "PAYMENT_CONFIRMED",
    ]


def test_chargeback_lost_on_a_received_pix_debits_the_issuer(
    api: Api, control: Api, make_payment: MakePayment
) -> None:
    payment = make_payment()
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    opened = _call(control, payment["id"])
    assert opened["chargeback"]["creditCard"] is None
    assert balance_of(api) == -1.99  # 98.01 credited, 100 taken by the chargeback
    _call(control, payment["id"], "/dispute")
    lost = _call(control, payment["id"], "/resolve", {"result": "LOST"})
    assert lost["status"] == "CHARGEBACK_DISPUTE"
    assert (lost["chargeback"]["status"], lost["chargeback"]["disputeStatus"]) == (
        "DISPUTE_LOST",
        "REJECTED",
    )
    assert event_names(control, payment["id"])[-3:] == [  # LOST itself sends no event
        "PAYMENT_RECEIVED",
        "PAYMENT_CHARGEBACK_REQUESTED",
        "PAYMENT_CHARGEBACK_DISPUTE",
    ]


def test_chargeback_needs_a_received_or_confirmed_payment(
    control: Api, make_payment: MakePayment, card_payment: dict[str, Any]
) -> None:
    pending = make_payment()
    response = control.post(f"/_emulator/payments/{pending['id']}/chargeback", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_action"
    bad_reason = control.post(
        f"/_emulator/payments/{card_payment['id']}/chargeback", {"reason": "BORED"}
    )
    assert bad_reason.status_code == 400
    steps = ("/dispute", "/reversal")
    for step in steps:
        assert (
            control.post(f"/_emulator/payments/{card_payment['id']}/chargeback{step}").status_code
            == 400
        )
    _call(control, card_payment["id"])
    assert (
        control.post(
            f"/_emulator/payments/{card_payment['id']}/chargeback/resolve", {"result": "MAYBE"}
        ).status_code
        == 400
    )
    accepted = _call(control, card_payment["id"], "/resolve", {"result": "LOST"})
    assert accepted["chargeback"]["status"] == "DONE"
    assert control.post("/_emulator/payments/pay_nope/chargeback", {}).status_code == 404
