from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from payments.services.asaas_service import (
    AsaasCustomer,
    AsaasService,
    scrub_payload,
)
from payments.tests.asaas_client.support import (
    ORIGIN,
    assert_standard_headers,
    sent_json,
    sent_text,
    serve,
)

CPF = "12345678909"


def test_customer_create_posts_the_recorded_body_with_auth_headers(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    recorded = serve(http, "customer_create")

    customer = asaas.customer_create(
        name="Paciente Ficticio Teste",
        cpf_cnpj="123.456.789-09",
        email="paciente.ficticio@example.com",
        mobile_phone="47990000001",
        external_reference="patient-5d0e2b7a",
    )

    call = http.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == ORIGIN + "/v3/customers"
    assert_standard_headers(call)
    assert sent_json(call) == recorded["request"]["body"]
    assert customer == AsaasCustomer(
        id="cus_000008392496",
        name="Paciente Ficticio Teste",
        cpf_cnpj=CPF,
        email="paciente.ficticio@example.com",
        external_reference="patient-5d0e2b7a",
        deleted=False,
    )


def test_customer_create_sends_only_given_optional_fields_and_disables_notifications(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "customer_create")

    asaas.customer_create(name="Paciente Ficticio Teste", cpf_cnpj=CPF)

    assert sent_json(http.calls[0]) == {
        "name": "Paciente Ficticio Teste",
        "cpfCnpj": CPF,
        "notificationDisabled": True,
    }


def test_customer_create_keeps_alphanumeric_cnpj_letters(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "customer_create")

    asaas.customer_create(name="Clinica Ficticia", cpf_cnpj="12.ABC.345/01DE-35")

    assert sent_json(http.calls[0])["cpfCnpj"] == "12ABC34501DE35"


def test_customer_get_is_a_bodiless_get_on_the_id_path(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "customer_get")

    customer = asaas.customer_get("cus_000008392496")

    call = http.calls[0]
    assert call.request.method == "GET"
    assert call.request.body is None
    assert_standard_headers(call)
    assert customer.id == "cus_000008392496"
    assert customer.cpf_cnpj == CPF


def test_customer_list_filters_by_cpf_and_parses_the_list_envelope(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "customer_list")  # the recorded query (offset, limit, cpfCnpj) must match

    page = asaas.customer_list(cpf_cnpj="123.456.789-09")

    assert http.calls[0].request.body is None
    assert page.has_more is False
    assert page.total_count == 1
    assert (page.limit, page.offset) == (10, 0)
    assert [customer.id for customer in page.data] == ["cus_000008392496"]
    assert page.exchange is not None
    assert page.exchange.query["cpfCnpj"] == "[scrubbed]"


def test_customer_list_rejects_a_limit_above_the_api_maximum(asaas: AsaasService) -> None:
    with pytest.raises(ValueError, match="limit"):
        asaas.customer_list(limit=101)


def test_customer_repr_leaves_out_personal_data() -> None:
    customer = AsaasCustomer.from_api(
        {"id": "cus_1", "name": "Paciente Ficticio", "cpfCnpj": CPF, "email": "p@example.com"}
    )

    text = repr(customer)

    assert "cus_1" in text
    assert "Paciente" not in text
    assert CPF not in text
    assert "p@example.com" not in text


def test_account_create_sends_required_fields_and_returns_the_one_time_api_key(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    from datetime import date

    recorded = serve(http, "account_create")

    account = asaas.account_create(
        name="Profissional Ficticio Teste",
        email="profissional.ficticio@example.com",
        cpf_cnpj="987.654.321-00",
        mobile_phone="47990000002",
        income_value=Decimal("8000"),
        address="Rua Ficticia",
        address_number="100",
        province="Centro",
        postal_code="89201000",
        birth_date=date(1985, 3, 2),
    )

    call = http.calls[0]
    assert call.request.url == ORIGIN + "/v3/accounts"
    assert sent_json(call) == recorded["request"]["body"]
    assert '"incomeValue":8000.00' in sent_text(call)
    assert account.id == "b6a1c2d3-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
    assert account.wallet_id == "7bafd95a-e783-4a62-9be1-23999af742c6"
    assert account.api_key == "$aact_hmlg_000FakeSubaccountKeyForTestsOnly000"
    assert "aact" not in repr(account)
    assert account.exchange is not None
    assert account.exchange.response_body["apiKey"] == "[scrubbed]"
    assert account.exchange.request_body["cpfCnpj"] == "[scrubbed]"
    assert account.exchange.response_body["walletId"] == account.wallet_id


def test_wallet_list_with_a_subaccount_key_uses_that_key(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "wallet_list")

    page = asaas.with_api_key("$aact_hmlg_000SubaccountKey000").wallet_list()

    call = http.calls[0]
    assert call.request.url == ORIGIN + "/v3/wallets/"
    assert call.request.body is None
    assert_standard_headers(call, api_key="$aact_hmlg_000SubaccountKey000")
    assert [wallet.id for wallet in page.data] == ["7bafd95a-e783-4a62-9be1-23999af742c6"]


def test_exchange_is_scrubbed_and_json_ready(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    import json

    serve(http, "customer_create")

    customer = asaas.customer_create(
        name="Paciente Ficticio Teste", cpf_cnpj=CPF, email="paciente.ficticio@example.com"
    )

    assert customer.exchange is not None
    stored = customer.exchange.as_dict()
    text = json.dumps(stored)
    assert CPF not in text
    assert "Paciente" not in text
    assert "paciente.ficticio" not in text
    assert stored["request"]["method"] == "POST"
    assert stored["request"]["path"] == "/v3/customers"
    assert stored["response"]["status"] == 200
    assert stored["response"]["body"]["id"] == "cus_000008392496"
    assert asaas.last_exchange == customer.exchange
    assert scrub_payload(stored) == stored  # already scrubbed: idempotent
