"""Split validation at creation/update.

The error code (``invalid_split``) and the rejection of unknown walletIds are the emulator's
configurable choices (``--split-error-code``, ``--allow-unknown-split-wallets``): Asaas
documents neither, so these tests check the emulator's UNVERIFIED contract, not Asaas's.
The limits themselves (Σ fixed ≤ net, Σ % ≤ 100, total ≤ net, no own wallet) are documented.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from payments.emulator import EmulatorServer

from .conftest import Api, future, start_emulator

MakePayment = Callable[..., dict[str, Any]]


def split_error(api: Api, customer: dict[str, Any], split: Any, value: int = 100) -> str:
    body = {
        "customer": customer["id"],
        "billingType": "PIX",
        "value": value,
        "dueDate": future(),
        "split": split,
    }
    response = api.post("/v3/payments", body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["code"] == "invalid_split"
    description: str = errors[0]["description"]
    return description


def test_fixed_split_up_to_the_net_value(
    make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 98.01}])
    [split] = payment["split"]
    uuid.UUID(split["id"])
    assert split["walletId"] == subaccount["walletId"]
    assert split["fixedValue"] == 98.01
    assert split["totalValue"] == 98.01
    assert split["status"] == "PENDING"
    assert "percentualValue" not in split


def test_fixed_split_above_net_is_rejected(
    api: Api, customer: dict[str, Any], subaccount: dict[str, Any]
) -> None:
    # value 100, PIX fee 1.99 → net 98.01: one cent more than the net is too much
    text = split_error(api, customer, [{"walletId": subaccount["walletId"], "fixedValue": 98.02}])
    assert "98,01" in text
    assert api.ok("GET", "/v3/payments")["totalCount"] == 0


def test_percentual_split_is_computed_on_net_half_up(
    make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "percentualValue": 50}])
    assert payment["split"][0]["percentualValue"] == 50
    assert payment["split"][0]["totalValue"] == 49.01  # 98.01 × 50 % = 49.005 → 49.01


def test_percentages_above_100_are_rejected(
    api: Api, customer: dict[str, Any], subaccount: dict[str, Any]
) -> None:
    other = api.ok("POST", "/v3/accounts", {**_account_body(), "cpfCnpj": "11222333000181"})
    split = [
        {"walletId": subaccount["walletId"], "percentualValue": 60},
        {"walletId": other["walletId"], "percentualValue": 50},
    ]
    assert "100%" in split_error(api, customer, split)


def test_mixed_total_above_net_is_rejected(
    api: Api, customer: dict[str, Any], subaccount: dict[str, Any]
) -> None:
    split = [
        {"walletId": subaccount["walletId"], "fixedValue": 50},
        {"walletId": subaccount["walletId"], "percentualValue": 50},  # 49.01 → 99.01 > 98.01
    ]
    assert "excede" in split_error(api, customer, split)
    ok = [
        {"walletId": subaccount["walletId"], "fixedValue": 49},
        {"walletId": subaccount["walletId"], "percentualValue": 50},  # 49 + 49.01 = 98.01
    ]
    body = {
        "customer": customer["id"],
        "billingType": "PIX",
        "value": 100,
        "dueDate": future(),
        "split": ok,
    }
    assert api.post("/v3/payments", body).status_code == 200


def test_own_and_unknown_wallets_are_rejected(
    api: Api, emulator: EmulatorServer, customer: dict[str, Any]
) -> None:
    own = split_error(api, customer, [{"walletId": emulator.root_wallet_id, "fixedValue": 10}])
    assert "própria carteira" in own
    unknown = str(uuid.uuid4())
    assert unknown in split_error(api, customer, [{"walletId": unknown, "fixedValue": 10}])


@pytest.mark.parametrize(
    "split",
    [
        [{"fixedValue": 10}],
        [{"walletId": "w"}],
        [{"walletId": "w", "fixedValue": 0}],
        [{"walletId": "w", "percentualValue": 101}],
        ["not-an-object"],
        {"walletId": "w"},
    ],
)
def test_malformed_split_items(api: Api, customer: dict[str, Any], split: Any) -> None:
    split_error(api, customer, split)


def test_unknown_wallet_allowed_and_error_code_configurable() -> None:
    server = start_emulator(reject_unknown_split_wallets=False, split_error_code="invalid_walletId")
    try:
        api = Api(server.url, server.api_key)
        customer = api.ok("POST", "/v3/customers", {"name": "X", "cpfCnpj": "24971563792"})
        body = {
            "customer": customer["id"],
            "billingType": "PIX",
            "value": 100,
            "dueDate": future(),
            "split": [{"walletId": str(uuid.uuid4()), "fixedValue": 10}],
        }
        assert api.post("/v3/payments", body).status_code == 200
        body["split"] = [{"walletId": server.root_wallet_id, "fixedValue": 10}]
        response = api.post("/v3/payments", body)
        assert response.json()["errors"][0]["code"] == "invalid_walletId"
    finally:
        server.stop()


def test_split_lifecycle_to_done(
    api: Api, control: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 40}])
    received = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert received["split"][0]["status"] == "AWAITING_CREDIT"
    settled = control.ok("POST", f"/_emulator/payments/{payment['id']}/settle")
    assert settled["split"][0]["status"] == "DONE"


def test_update_split_semantics(
    api: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 90}])
    path = f"/v3/payments/{payment['id']}"
    kept = api.ok("PUT", path, {"description": "x"})  # omitted → kept
    assert kept["split"][0]["fixedValue"] == 90
    too_small = api.put(path, {"value": 90})  # net 88.01 < fixed 90
    assert too_small.json()["errors"][0]["code"] == "invalid_split"
    assert api.ok("GET", path)["value"] == 100
    percent = api.ok(
        "PUT",
        path,
        {"value": 200, "split": [{"walletId": subaccount["walletId"], "percentualValue": 10}]},
    )
    assert percent["split"][0]["totalValue"] == 19.8  # 198.01 × 10 % = 19.801
    removed = api.ok("PUT", path, {"split": []})
    assert "split" not in removed


def test_delete_drops_split_and_restore_has_none(
    api: Api, make_payment: MakePayment, subaccount: dict[str, Any]
) -> None:
    payment = make_payment(split=[{"walletId": subaccount["walletId"], "fixedValue": 10}])
    api.ok("DELETE", f"/v3/payments/{payment['id']}")
    restored = api.ok("POST", f"/v3/payments/{payment['id']}/restore")
    assert "split" not in restored


def _account_body() -> dict[str, Any]:
    from .conftest import subaccount_body

    return subaccount_body(name="Segunda")
