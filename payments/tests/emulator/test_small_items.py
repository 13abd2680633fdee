"""Control token, simulate, identificationField, billingInfo, balance, invalid CEP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests

from payments.emulator import EmulatorServer

from .conftest import Api, start_emulator, subaccount_body

MakePayment = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/state"),
        ("POST", "/_emulator/config"),
        ("POST", "/_emulator/reset"),
        ("GET", "/_emulator/clock"),
        ("POST", "/_emulator/payments/pay_x/chargeback"),
    ],
)
def test_control_calls_need_the_token(emulator: EmulatorServer, method: str, path: str) -> None:
    session = requests.Session()
    session.trust_env = False
    for headers in ({}, {"X-Emulator-Control-Token": "wrong"}, {"access_token": emulator.api_key}):
        response = session.request(method, emulator.url + path, json={}, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "invalid_control_token"
    assert session.get(f"{emulator.url}/_emulator/health", timeout=5).status_code == 200


def test_configured_control_token_is_used() -> None:
    server = start_emulator(control_token="a-configured-token-" + "z" * 20)
    try:
        assert server.control_token == "a-configured-token-" + "z" * 20
        ok = Api(server.url, None, server.control_token).get("/_emulator/state")
        assert ok.status_code == 200
        generated = start_emulator()
        try:
            assert len(generated.control_token) >= 40
            assert generated.control_token != server.control_token
        finally:
            generated.stop()
    finally:
        server.stop()


def test_simulate_is_routed_and_uses_the_fee_table(api: Api) -> None:
    simulated = api.ok("POST", "/v3/payments/simulate", {"value": 100, "billingTypes": ["PIX"]})
    assert simulated == {
        "value": 100,
        "pix": {
            "netValue": 98.01,
            "feePercentage": 0,
            "feeValue": 1.99,
            "installment": {"paymentNetValue": 98.01, "paymentValue": 100},
        },
    }
    every = api.ok("POST", "/v3/payments/simulate", {"value": 100})
    assert every["creditCard"]["netValue"] == 96.52
    assert every["creditCard"]["operationFee"] == 0.49
    assert every["bankSlip"]["netValue"] == 98.01
    assert api.post("/v3/payments/simulate", {}).json()["errors"][0]["code"] == "invalid_value"


def test_identification_field_and_billing_info(
    api: Api, emulator: EmulatorServer, make_payment: MakePayment
) -> None:
    boleto = make_payment(billingType="BOLETO")
    line = api.ok("GET", f"/v3/payments/{boleto['id']}/identificationField")
    assert re.fullmatch(r"461\d{44}", line["identificationField"])
    assert re.fullmatch(r"461\d{41}", line["barCode"])
    assert line["nossoNumero"] == boleto["nossoNumero"]
    info = api.ok("GET", f"/v3/payments/{boleto['id']}/billingInfo")
    assert set(info) == {"pix", "creditCard", "bankSlip"}
    assert info["bankSlip"]["identificationField"] == line["identificationField"]
    assert info["bankSlip"]["bankSlipUrl"] == boleto["bankSlipUrl"]
    assert info["pix"]["payload"].startswith("000201")
    assert info["creditCard"] is None
    pix = make_payment()
    assert api.get(f"/v3/payments/{pix['id']}/identificationField").status_code == 400
    pix_info = api.ok("GET", f"/v3/payments/{pix['id']}/billingInfo")
    assert (pix_info["bankSlip"], pix_info["creditCard"]) == (None, None)


def test_balance_endpoint(api: Api) -> None:
    assert api.ok("GET", "/v3/finance/balance") == {"balance": 0}


@pytest.mark.parametrize("postal_code", ["00000000", "0000-0000", "123", "99999999"])
def test_invalid_cep_is_refused_for_subaccounts(api: Api, postal_code: str) -> None:
    response = api.post("/v3/accounts", subaccount_body(postalCode=postal_code))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_postalCode"
    assert api.ok("GET", "/v3/accounts")["totalCount"] == 0
