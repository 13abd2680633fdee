from __future__ import annotations

import http.client
import json
import re
import uuid
from typing import Any

import pytest
import requests

from payments.emulator import EmulatorServer

from .conftest import Api, start_emulator, subaccount_body

UNAUTHORIZED = {
    "errors": [
        {"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}
    ]
}


@pytest.mark.parametrize("key", [None, "$aact_hmlg_wrong"])
def test_missing_or_wrong_key_is_401(emulator: EmulatorServer, key: str | None) -> None:
    response = Api(emulator.url, key).get("/v3/customers")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_get_with_body_is_403(api: Api) -> None:
    response = api.get("/v3/customers", data=b'{"name": "x"}')
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"


def test_strict_user_agent_mode() -> None:
    server = start_emulator(require_user_agent=True, user_agent_error_status=401)
    try:
        # urllib3 always adds a User-Agent, so speak plain http.client here
        connection = http.client.HTTPConnection("127.0.0.1", server.config.port, timeout=5)
        connection.putrequest("GET", "/v3/wallets/", skip_accept_encoding=True)
        connection.putheader("access_token", server.api_key)
        connection.endheaders()
        missing = connection.getresponse()
        assert missing.status == 401
        assert json.loads(missing.read())["errors"][0]["code"] == "invalid_user_agent"
        connection.close()
        assert Api(server.url, server.api_key).get("/v3/wallets/").status_code == 200
    finally:
        server.stop()


def test_unknown_route_and_object_are_404(api: Api) -> None:
    assert api.get("/v3/nothing-here").status_code == 404
    missing = api.get("/v3/payments/pay_doesnotexist0000")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "not_found"


def test_root_wallet_in_list_envelope(api: Api, emulator: EmulatorServer) -> None:
    body = api.ok("GET", "/v3/wallets/")
    assert body == {
        "object": "list",
        "hasMore": False,
        "totalCount": 1,
        "limit": 10,
        "offset": 0,
        "data": [{"object": "wallet", "id": emulator.root_wallet_id}],
    }
    uuid.UUID(emulator.root_wallet_id)


def test_create_subaccount_returns_wallet_and_key_once(
    api: Api, emulator: EmulatorServer, subaccount: dict[str, Any]
) -> None:
    assert subaccount["object"] == "account"
    uuid.UUID(subaccount["walletId"])
    assert subaccount["walletId"] != emulator.root_wallet_id
    assert re.fullmatch(r"\$aact_hmlg_\w+", subaccount["apiKey"])
    assert subaccount["personType"] == "FISICA"
    # the key opens the subaccount's own wallet
    sub_api = Api(emulator.url, subaccount["apiKey"])
    wallets = sub_api.ok("GET", "/v3/wallets/")
    assert wallets["data"] == [{"object": "wallet", "id": subaccount["walletId"]}]
    # listing and retrieval never show the key again
    listed = api.ok("GET", "/v3/accounts")
    assert [a["id"] for a in listed["data"]] == [subaccount["id"]]
    assert "apiKey" not in listed["data"][0]
    fetched = api.ok("GET", f"/v3/accounts/{subaccount['id']}")
    assert fetched["walletId"] == subaccount["walletId"]
    assert "apiKey" not in fetched


def test_list_accounts_filters(api: Api, subaccount: dict[str, Any]) -> None:
    other = api.ok("POST", "/v3/accounts", subaccount_body(name="Outro", cpfCnpj="11222333000181"))
    by_wallet = api.ok("GET", f"/v3/accounts?walletId={other['walletId']}")
    assert [a["id"] for a in by_wallet["data"]] == [other["id"]]
    by_doc = api.ok("GET", "/v3/accounts?cpfCnpj=24971563792")
    assert [a["id"] for a in by_doc["data"]] == [subaccount["id"]]
    assert api.ok("GET", "/v3/accounts?name=outro")["totalCount"] == 1


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "email",
        "cpfCnpj",
        "mobilePhone",
        "incomeValue",
        "address",
        "addressNumber",
        "province",
        "postalCode",
    ],
)
def test_subaccount_required_fields_first_error_only(api: Api, field: str) -> None:
    body = subaccount_body()
    body.pop(field)
    body.pop("postalCode" if field != "postalCode" else "province")  # a second missing field
    response = api.post("/v3/accounts", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1
    expected_first = next(
        f
        for f in (
            "name",
            "email",
            "cpfCnpj",
            "mobilePhone",
            "incomeValue",
            "address",
            "addressNumber",
            "province",
            "postalCode",
        )
        if f not in body
    )
    assert errors[0]["code"] == f"invalid_{expected_first}"


def test_subaccount_with_invalid_document(api: Api) -> None:
    response = api.post("/v3/accounts", subaccount_body(cpfCnpj="11111111111"))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid_object", "description": "O CPF/CNPJ informado é inválido."}
    ]


def test_customers_are_per_account(
    api: Api, emulator: EmulatorServer, subaccount: dict[str, Any], customer: dict[str, Any]
) -> None:
    sub_api = Api(emulator.url, subaccount["apiKey"])
    assert sub_api.get(f"/v3/customers/{customer['id']}").status_code == 404
    assert sub_api.ok("GET", "/v3/customers")["totalCount"] == 0
    response = sub_api.post(
        "/v3/payments",
        {"customer": customer["id"], "billingType": "PIX", "value": 50, "dueDate": "2099-01-01"},
    )
    assert response.json()["errors"][0]["code"] == "invalid_customer"


def test_control_api_needs_no_key(emulator: EmulatorServer) -> None:
    session = requests.Session()
    session.trust_env = False
    assert session.get(f"{emulator.url}/_emulator/health", timeout=5).json() == {"status": "ok"}
