from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import VALID_CNPJ, VALID_CPF, Api, future
from .golden import CUSTOMER_KEYS


def test_create_customer_matches_sandbox_shape(api: Api) -> None:
    response = api.post(
        "/v3/customers",
        {
            "name": "Cliente Paridade",
            "cpfCnpj": VALID_CPF,
            "email": "p@example.com",
            "mobilePhone": "47996321478",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CUSTOMER_KEYS
    assert re.fullmatch(r"cus_\d{12}", body["id"])
    assert body["personType"] == "FISICA"
    assert body["country"] == "Brasil"
    assert body["deleted"] is False
    assert body["company"] is None


def test_cnpj_customer_is_juridica(api: Api) -> None:
    body = api.ok("POST", "/v3/customers", {"name": "Clínica", "cpfCnpj": "11.222.333/0001-81"})
    assert body["personType"] == "JURIDICA"
    assert body["cpfCnpj"] == VALID_CNPJ


def test_invalid_cpf_is_invalid_object(api: Api) -> None:
    response = api.post("/v3/customers", {"name": "Inválido", "cpfCnpj": "11111111111"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "invalid_object", "description": "O CPF/CNPJ informado é inválido."}]
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_name"),
        ({"cpfCnpj": "11111111111"}, "invalid_name"),
        ({"name": "Sem documento"}, "invalid_cpfCnpj"),
        (
            {"name": "Celular", "cpfCnpj": VALID_CPF, "mobilePhone": "47999999999"},
            "invalid_mobilePhone",
        ),
    ],
)
def test_customer_validation_first_error_only(api: Api, body: dict[str, Any], code: str) -> None:
    response = api.post("/v3/customers", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["code"] == code


def test_duplicates_allowed_and_filters(api: Api) -> None:
    first = api.ok(
        "POST",
        "/v3/customers",
        {"name": "Ana Souza", "cpfCnpj": VALID_CPF, "externalReference": "patient-1"},
    )
    second = api.ok(
        "POST",
        "/v3/customers",
        {"name": "Ana Souza", "cpfCnpj": VALID_CPF, "email": "ana@example.com"},
    )
    assert first["id"] != second["id"]
    by_doc = api.ok("GET", "/v3/customers?cpfCnpj=249.715.637-92")
    assert by_doc["totalCount"] == 2
    by_ref = api.ok("GET", "/v3/customers?externalReference=patient-1")
    assert [c["id"] for c in by_ref["data"]] == [first["id"]]
    by_email = api.ok("GET", "/v3/customers?email=ana@example.com")
    assert [c["id"] for c in by_email["data"]] == [second["id"]]
    assert api.ok("GET", "/v3/customers?name=souza")["totalCount"] == 2
    assert api.ok("GET", "/v3/customers?name=maria")["totalCount"] == 0


def test_list_pagination(api: Api) -> None:
    for index in range(12):
        api.ok("POST", "/v3/customers", {"name": f"C{index}", "cpfCnpj": VALID_CPF})
    first = api.ok("GET", "/v3/customers")
    assert (first["totalCount"], first["limit"], first["offset"]) == (12, 10, 0)
    assert first["hasMore"] is True
    assert len(first["data"]) == 10
    last = api.ok("GET", "/v3/customers?offset=10&limit=5")
    assert len(last["data"]) == 2
    assert last["hasMore"] is False
    assert api.ok("GET", "/v3/customers?limit=500")["limit"] == 100
    assert api.get("/v3/customers?limit=abc").status_code == 400


def test_update_customer(api: Api, customer: dict[str, Any]) -> None:
    updated = api.ok("PUT", f"/v3/customers/{customer['id']}", {"email": "novo@example.com"})
    assert updated["email"] == "novo@example.com"
    assert updated["name"] == customer["name"]
    bad = api.put(f"/v3/customers/{customer['id']}", {"cpfCnpj": "12345678900"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "invalid_object"
    assert api.ok("GET", f"/v3/customers/{customer['id']}")["cpfCnpj"] == VALID_CPF


def test_delete_and_restore_customer(api: Api, customer: dict[str, Any]) -> None:
    assert api.ok("DELETE", f"/v3/customers/{customer['id']}") == {
        "deleted": True,
        "id": customer["id"],
    }
    assert api.ok("GET", "/v3/customers")["totalCount"] == 0
    assert api.ok("GET", f"/v3/customers/{customer['id']}")["deleted"] is True
    payment = api.post(
        "/v3/payments",
        {"customer": customer["id"], "billingType": "PIX", "value": 10, "dueDate": future()},
    )
    assert payment.json()["errors"][0]["code"] == "invalid_customer"
    restored = api.ok("POST", f"/v3/customers/{customer['id']}/restore")
    assert restored["deleted"] is False
    assert api.ok("GET", "/v3/customers")["totalCount"] == 1
    assert api.post(f"/v3/customers/{customer['id']}/restore").status_code == 400
