from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from payments.emulator import EmulatorServer

from .conftest import VALID_CPF, Api, control_api, future, start_emulator, webhook_log

MakePayment = Callable[..., dict[str, Any]]


def set_faults(control: Api, **faults: Any) -> dict[str, Any]:
    return control.ok("POST", "/_emulator/faults", faults)


def test_error_rate_one_fails_before_creating(api: Api, control: Api) -> None:
    assert set_faults(control, error_rate=1.0)["error_rate"] == 1.0
    response = api.post("/v3/customers", {"name": "X", "cpfCnpj": VALID_CPF})
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "internal_error"
    assert control.ok("GET", "/_emulator/state")["counts"]["customers"] == 0
    set_faults(control, error_rate=0)
    assert api.ok("GET", "/v3/customers")["totalCount"] == 0


def test_fail_next_counts_down(api: Api, control: Api) -> None:
    set_faults(control, fail_next=2)
    statuses = [api.get("/v3/customers").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert control.ok("GET", "/_emulator/faults")["fail_next"] == 0


def test_hang_after_create_times_out_but_commits(
    api: Api, control: Api, customer: dict[str, Any]
) -> None:
    set_faults(control, hang_after_create_seconds=1.0)
    body = {
        "customer": customer["id"],
        "billingType": "PIX",
        "value": 100,
        "dueDate": future(),
        "externalReference": "appt-42",
    }
    with pytest.raises(requests.Timeout):
        api.post("/v3/payments", body, timeout=0.3)
    found = api.ok("GET", "/v3/payments?externalReference=appt-42")
    assert found["totalCount"] == 1
    assert found["data"][0]["value"] == 100
    with pytest.raises(requests.Timeout):
        api.post("/v3/customers", {"name": "Y", "cpfCnpj": VALID_CPF}, timeout=0.3)
    assert api.ok("GET", "/v3/customers")["totalCount"] == 2


def test_rate_limit_headers_and_429(api: Api, control: Api) -> None:
    set_faults(control, rate_limit={"limit": 3, "window_seconds": 60})
    responses = [api.get("/v3/customers") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert all(r.headers["RateLimit-Limit"] == "3" for r in responses)
    assert 0 < int(responses[-1].headers["RateLimit-Reset"]) <= 60
    assert responses[-1].json()["errors"][0]["code"] == "rate_limit_exceeded"
    set_faults(control, rate_limit=None)
    assert "RateLimit-Limit" not in api.get("/v3/customers").headers


def test_rate_limit_window_resets(api: Api, control: Api) -> None:
    set_faults(control, rate_limit={"limit": 1, "window_seconds": 0.2})
    assert api.get("/v3/customers").status_code == 200
    assert api.get("/v3/customers").status_code == 429
    time.sleep(0.25)
    assert api.get("/v3/customers").status_code == 200


def test_latency(api: Api, control: Api) -> None:
    set_faults(control, latency_ms=200)
    started = time.monotonic()
    assert api.get("/v3/customers").status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 2},
        {"latency_ms": -1},
        {"rate_limit": {"limit": "x"}},
        {"bogus": 1},
        {"duplicate_webhooks": "yes"},
    ],
)
def test_invalid_fault_values_are_rejected(control: Api, faults: dict[str, Any]) -> None:
    before = control.ok("GET", "/_emulator/faults")
    response = control.post("/_emulator/faults", faults)
    assert response.status_code == 400
    assert control.ok("GET", "/_emulator/faults") == before


def test_reset_clears_state_and_faults(
    api: Api, control: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    make_payment()
    set_faults(control, latency_ms=5, duplicate_webhooks=True)
    assert control.ok("POST", "/_emulator/reset") == {"reset": True}
    state = control.ok("GET", "/_emulator/state")
    assert state["counts"] == {"accounts": 1, "customers": 0, "payments": 0, "deletedPayments": 0}
    assert state["rootWalletId"] == emulator.root_wallet_id
    faults = control.ok("GET", "/_emulator/faults")
    assert (faults["latency_ms"], faults["duplicate_webhooks"]) == (0, False)
    assert api.ok("GET", "/v3/wallets")["data"][0]["id"] == emulator.root_wallet_id


def test_faults_from_config_and_control_api_errors(control: Api) -> None:
    server = start_emulator(error_rate=1.0, rate_limit=(10, 60.0))
    try:
        api = Api(server.url, server.api_key)
        response = api.get("/v3/customers")
        assert response.status_code == 500
        assert response.headers["RateLimit-Limit"] == "10"
        local = control_api(server)
        assert local.get("/_emulator/nothing").status_code == 404
        assert local.post("/_emulator/faults", data=b"{not json").status_code == 400
    finally:
        server.stop()


def test_state_file_persists_across_restarts(tmp_path: Path) -> None:
    state_file = str(tmp_path / "state.json")
    server = start_emulator(
        state_file=state_file, root_wallet_id="11111111-2222-3333-4444-555555555555"
    )
    api = Api(server.url, server.api_key)
    customer = api.ok("POST", "/v3/customers", {"name": "X", "cpfCnpj": VALID_CPF})
    body = {
        "customer": customer["id"],
        "billingType": "PIX",
        "value": 100,
        "dueDate": future(),
        "split": [
            {
                "walletId": api.ok("POST", "/v3/accounts", _account())["walletId"],
                "percentualValue": 12.5,
            }
        ],
    }
    payment = api.ok("POST", "/v3/payments", body)
    server.stop()

    again = start_emulator(state_file=state_file)
    try:
        api = Api(again.url, again.api_key)
        restored = api.ok("GET", f"/v3/payments/{payment['id']}")
        assert restored["netValue"] == 98.01
        assert restored["split"][0]["percentualValue"] == 12.5
        assert restored["split"][0]["totalValue"] == 12.25
        assert again.root_wallet_id == "11111111-2222-3333-4444-555555555555"
        second = api.ok("POST", "/v3/customers", {"name": "Y", "cpfCnpj": VALID_CPF})
        assert second["id"] > customer["id"]
    finally:
        again.stop()


def test_state_file_keeps_balances_cards_webhooks_and_the_clock(tmp_path: Path) -> None:
    state_file = str(tmp_path / "state.json")
    server = start_emulator(state_file=state_file)
    api = Api(server.url, server.api_key)
    control = control_api(server)
    control.ok("POST", "/_emulator/clock/advance", {"days": 3})
    customer = api.ok("POST", "/v3/customers", {"name": "X", "cpfCnpj": VALID_CPF})
    card = api.ok(
        "POST",
        "/v3/creditCard/tokenize",
        {
            "customer": customer["id"],
            "creditCard": {
                "holderName": "X", "number": "4111111111111111", "expiryMonth": "1",
                "expiryYear": "2040", "ccv": "123",
            },
            "creditCardHolderInfo": {
                "name": "X", "email": "x@example.com", "cpfCnpj": VALID_CPF,
                "postalCode": "89010000", "addressNumber": "1", "phone": "4733334444",
            },
        },
    )  # fmt: skip
    hook = {
        "name": "h",
        "url": "http://127.0.0.1:9/h",
        "sendType": "SEQUENTIALLY",
        "events": ["PAYMENT_CREATED"],
    }
    webhook = api.ok("POST", "/v3/webhooks", hook)
    control.ok("POST", "/_emulator/balances", {"walletId": server.root_wallet_id, "value": 12.34})
    today = control.ok("GET", "/_emulator/clock")["today"]
    server.stop()

    again = start_emulator(state_file=state_file)
    try:
        api = Api(again.url, again.api_key)
        assert api.ok("GET", "/v3/finance/balance") == {"balance": 12.34}
        assert api.ok("GET", f"/v3/webhooks/{webhook['id']}")["url"] == hook["url"]
        assert control_api(again).ok("GET", "/_emulator/clock")["today"] == today
        body = {
            "customer": customer["id"],
            "billingType": "CREDIT_CARD",
            "value": 10,
            "dueDate": today,
            "creditCardToken": card["creditCardToken"],
        }
        assert api.ok("POST", "/v3/payments", body)["creditCard"] == card
        queued = webhook_log(control_api(again), wait=0)["queues"]
        assert webhook["id"] in {q["id"] for q in queued}
    finally:
        again.stop()


def _account() -> dict[str, Any]:
    from .conftest import subaccount_body

    return subaccount_body()
