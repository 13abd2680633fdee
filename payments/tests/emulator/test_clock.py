"""The emulator clock: read/set/advance/reset, OVERDUE by date, card credit on its date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .conftest import Api, advance, brt_today, event_names

MakePayment = Callable[..., dict[str, Any]]
CARD = {
    "holderName": "Cliente Paridade",
    "number": "5162306219378829",
    "expiryMonth": "12",
    "expiryYear": "2035",
    "ccv": "318",
}
HOLDER = {
    "name": "Cliente Paridade",
    "email": "paridade@example.com",
    "cpfCnpj": "24971563792",
    "postalCode": "01310-100",
    "addressNumber": "100",
    "phone": "4733334444",
}


def test_clock_defaults_to_real_time_and_can_be_set_advanced_and_reset(control: Api) -> None:
    clock = control.ok("GET", "/_emulator/clock")
    assert clock["realClock"] is True
    assert clock["today"] == brt_today().isoformat()
    moved = control.ok("POST", "/_emulator/clock", {"now": "2030-01-31 10:00:00"})
    assert moved["now"].startswith("2030-01-31 10:00")
    assert (moved["realClock"], moved["events"]) == (False, [])
    later = control.ok("POST", "/_emulator/clock/advance", {"days": 1, "hours": 14})
    assert later["now"].startswith("2030-02-02 00:00")
    assert control.post("/_emulator/clock", {"now": "tomorrow"}).status_code == 400
    assert control.post("/_emulator/clock/advance", {"days": -1}).status_code == 400
    assert control.post("/_emulator/clock/advance", {}).status_code == 400
    back = control.ok("POST", "/_emulator/clock/reset")
    assert (back["realClock"], back["today"]) == (True, brt_today().isoformat())


def test_dates_written_by_the_emulator_follow_the_clock(
    api: Api, control: Api, customer: dict[str, Any]
) -> None:
    control.ok("POST", "/_emulator/clock", {"now": "2031-03-10 09:00:00"})
    body = {"customer": customer["id"], "billingType": "PIX", "value": 50, "dueDate": "2031-03-10"}
    payment = api.ok("POST", "/v3/payments", body)
    assert payment["dateCreated"] == "2031-03-10"
    received = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert received["paymentDate"] == received["creditDate"] == "2031-03-10"
    body["dueDate"] = "2031-03-09"
    assert api.post("/v3/payments", body).json()["errors"][0]["code"] == "invalid_dueDate"


def test_due_date_passing_makes_the_payment_overdue_with_the_event(
    api: Api, control: Api, make_payment: MakePayment
) -> None:
    payment = make_payment(dueDate=(brt_today() + dt.timedelta(days=2)).isoformat())
    paid = make_payment(dueDate=(brt_today() + dt.timedelta(days=2)).isoformat())
    api.ok("POST", f"/v3/sandbox/payment/{paid['id']}/confirm")
    assert advance(control, days=2) == []  # due today is not overdue yet
    assert advance(control, days=1) == ["PAYMENT_OVERDUE"]
    overdue = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert overdue["status"] == "OVERDUE"
    assert event_names(control, payment["id"]) == ["PAYMENT_CREATED", "PAYMENT_OVERDUE"]
    assert advance(control, days=5) == []  # only once
    assert api.ok("GET", f"/v3/payments/{paid['id']}")["status"] == "RECEIVED"
    # still payable; receiving it now works as in Asaas
    assert api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")["status"] == "RECEIVED"


def test_card_credit_date_matches_the_sandbox_capture_and_credits_on_that_day(
    api: Api, control: Api, customer: dict[str, Any]
) -> None:
    # Public capture (cartao probe, 2026-07-14): CONFIRMED, creditDate 2026-08-17 — D+32 is
    # Saturday 2026-08-15, rolled to Monday.
    control.ok("POST", "/_emulator/clock", {"now": "2026-07-14 10:00:00"})
    body = {
        "customer": customer["id"],
        "billingType": "CREDIT_CARD",
        "value": 100,
        "dueDate": "2026-07-15",
        "creditCard": CARD,
        "creditCardHolderInfo": HOLDER,
    }
    payment = api.ok("POST", "/v3/payments", body)
    assert payment["status"] == "CONFIRMED"
    assert payment["confirmedDate"] == payment["clientPaymentDate"] == "2026-07-14"
    assert payment["creditDate"] == payment["estimatedCreditDate"] == "2026-08-17"
    assert payment["paymentDate"] is None
    control.ok("POST", "/_emulator/clock", {"now": "2026-08-16 23:59:00"})
    assert api.ok("GET", f"/v3/payments/{payment['id']}")["status"] == "CONFIRMED"
    events = control.ok("POST", "/_emulator/clock/advance", {"minutes": 2})["events"]
    assert events == ["PAYMENT_RECEIVED"]
    credited = api.ok("GET", f"/v3/payments/{payment['id']}")
    assert (credited["status"], credited["paymentDate"]) == ("RECEIVED", "2026-08-17")
