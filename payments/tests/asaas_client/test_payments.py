from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import responses

from payments.services.asaas_service import (
    AsaasPayment,
    AsaasService,
    AsaasSplit,
    BillingType,
    SplitRule,
)
from payments.tests.asaas_client.support import (
    ORIGIN,
    assert_standard_headers,
    sent_json,
    sent_text,
    serve,
)

PAY = "pay_ibvub5tu20v9lxr7"
WALLET_PRO = "7bafd95a-e783-4a62-9be1-23999af742c6"
WALLET_2 = "0d4c2f1e-5b6a-4c3d-8e9f-a1b2c3d4e5f6"


def _create_pix(asaas: AsaasService, **overrides: object) -> AsaasPayment:
    arguments: dict[str, object] = {
        "customer": "cus_000008392496",
        "billing_type": BillingType.PIX,
        "value": Decimal("100"),
        "due_date": date(2026, 7, 19),
        "external_reference": "appointment-3b1f0c9e",
        "description": "Consulta",
        "split": [
            SplitRule(
                wallet_id=WALLET_PRO,
                fixed_value=Decimal("70"),
                external_reference="appointment-3b1f0c9e-pro",
            ),
            SplitRule(wallet_id=WALLET_2, percentual_value=Decimal("2.5")),
        ],
    }
    arguments.update(overrides)
    return asaas.payment_create(**arguments)  # type: ignore[arg-type]


def test_payment_create_posts_exact_decimal_amounts_and_split(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    recorded = serve(http, "payment_create_pix_split")

    _create_pix(asaas)

    call = http.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == ORIGIN + "/v3/payments"
    assert_standard_headers(call)
    assert sent_json(call) == recorded["request"]["body"]
    text = sent_text(call)
    assert '"value":100.00' in text
    assert '"fixedValue":70.00' in text
    assert '"percentualValue":2.5' in text
    assert '"dueDate":"2026-07-19"' in text


def test_payment_create_parses_money_as_decimal_and_the_split_lines(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_create_pix_split")

    payment = _create_pix(asaas)

    assert payment.id == PAY
    assert payment.status == "PENDING"
    assert payment.billing_type == "PIX"
    assert payment.value == Decimal("100")
    assert isinstance(payment.net_value, Decimal)
    assert payment.net_value == Decimal("98.01")
    assert payment.due_date == date(2026, 7, 19)
    assert payment.external_reference == "appointment-3b1f0c9e"
    assert payment.invoice_url == "https://sandbox.asaas.com/i/ibvub5tu20v9lxr7"
    assert payment.splits == (
        AsaasSplit(
            id="c1a9e3b2-7d4f-4e1a-9b0c-2f3e4d5a6b7c",
            wallet_id=WALLET_PRO,
            fixed_value=Decimal("70.00"),
            total_value=Decimal("70.00"),
            status="PENDING",
            external_reference="appointment-3b1f0c9e-pro",
        ),
        AsaasSplit(
            id="d2b8f4c3-8e5a-4f2b-8c1d-3a4b5c6d7e8f",
            wallet_id=WALLET_2,
            percentual_value=Decimal("2.5"),
            total_value=Decimal("2.45"),
            status="PENDING",
        ),
    )
    assert payment.refunds == ()


def test_payment_create_without_split_omits_the_key(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_create_pix_split")

    _create_pix(asaas, split=[], description=None)

    body = sent_json(http.calls[0])
    assert "split" not in body
    assert "description" not in body


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (100.0, TypeError),
        (Decimal("10.005"), ValueError),
        (Decimal("0"), ValueError),
        (Decimal("-5.00"), ValueError),
    ],
)
def test_payment_create_refuses_floats_and_inexact_or_non_positive_amounts(
    asaas: AsaasService, http: responses.RequestsMock, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _create_pix(asaas, value=value)

    assert len(http.calls) == 0


def test_payment_create_requires_an_external_reference(asaas: AsaasService) -> None:
    with pytest.raises(ValueError, match="external_reference"):
        _create_pix(asaas, external_reference="")


def test_payment_get_parses_boleto_with_missing_and_unknown_keys(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_get_boleto")

    payment = asaas.payment_get("pay_pngqmn2bxuyccy7z")

    call = http.calls[0]
    assert call.request.method == "GET"
    assert call.request.body is None
    assert_standard_headers(call)
    assert payment.value == Decimal("350")
    assert payment.net_value == Decimal("348.01")
    assert payment.due_date == date(2026, 7, 24)
    assert payment.payment_date is None
    assert payment.confirmed_date is None  # key absent for BOLETO
    assert payment.splits == ()  # no "split" key at all
    assert payment.raw["canBePaidAfterDueDate"] is True  # undeclared key kept in raw
    assert payment.raw["fine"] == {"value": 2, "type": "PERCENTAGE"}


def test_payment_get_card_parses_confirmed_date_and_scrubs_card_data(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_get_card_confirmed")

    payment = asaas.payment_get("pay_hzhycv2xa7yims5b")

    assert payment.status == "CONFIRMED"
    assert payment.confirmed_date == date(2026, 7, 14)
    assert payment.estimated_credit_date == date(2026, 8, 15)
    assert payment.net_value == Decimal("96.52")
    assert payment.raw["creditCard"] == "[scrubbed]"
    assert payment.exchange is not None
    assert payment.exchange.response_body["creditCard"] == "[scrubbed]"
    assert payment.exchange.response_body["netValue"] == Decimal("96.52")


def test_payment_from_api_tolerates_missing_keys_unknown_keys_and_new_enum_values() -> None:
    payment = AsaasPayment.from_api(
        {
            "id": "pay_1_a1B2c3D4e5F6g7",
            "status": "AUTHORIZED",
            "billingType": "DEBIT_CARD",
            "dueDate": "not-a-date",
            "value": "12.30",
            "split": [{"walletId": WALLET_PRO, "cancellationReason": "SOMETHING_NEW"}, "junk"],
            "brandNewField": {"nested": [1, 2]},
        }
    )

    assert payment.status == "AUTHORIZED"
    assert payment.billing_type == "DEBIT_CARD"
    assert payment.due_date is None
    assert payment.value == Decimal("12.30")
    assert payment.net_value is None
    assert payment.customer is None
    assert payment.deleted is False
    assert len(payment.splits) == 1
    assert payment.splits[0].cancellation_reason == "SOMETHING_NEW"
    assert payment.raw["brandNewField"] == {"nested": [1, 2]}


def test_payment_list_sends_filters_as_query_parameters(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add(
        "GET",
        ORIGIN + "/v3/payments",
        json={
            "object": "list",
            "hasMore": True,
            "totalCount": 42,
            "limit": 5,
            "offset": 5,
            "data": [],
        },
        match=[
            responses.matchers.query_param_matcher(
                {"offset": "5", "limit": "5", "customer": "cus_1", "status": "RECEIVED"}
            )
        ],
    )

    page = asaas.payment_list(customer="cus_1", status="RECEIVED", offset=5, limit=5)

    assert http.calls[0].request.body is None
    assert page.data == ()
    assert page.has_more is True
    assert page.total_count == 42


def test_payment_find_by_external_reference_returns_the_newest_non_deleted_match(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_list_by_external_reference")

    payment = asaas.payment_find_by_external_reference("appointment-3b1f0c9e")

    assert payment is not None
    assert payment.id == PAY  # the newer one is deleted, the other one is older
    assert payment.deleted is False


def test_payment_find_by_external_reference_returns_none_when_nothing_matches(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add(
        "GET",
        ORIGIN + "/v3/payments",
        json={
            "object": "list",
            "hasMore": False,
            "totalCount": 2,
            "limit": 100,
            "offset": 0,
            "data": [
                {"id": "pay_a", "externalReference": "appointment-x", "deleted": True},
                {"id": "pay_b", "externalReference": "appointment-x-2", "deleted": False},
            ],
        },
    )

    assert asaas.payment_find_by_external_reference("appointment-x") is None
    assert asaas.last_exchange is not None
    assert asaas.last_exchange.query["externalReference"] == "appointment-x"


def test_payment_delete_is_a_bodiless_delete(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_delete")

    result = asaas.payment_delete(PAY)

    call = http.calls[0]
    assert call.request.method == "DELETE"
    assert call.request.body is None
    assert_standard_headers(call)
    assert (result.id, result.deleted) == (PAY, True)


def test_payment_restore_posts_an_empty_object(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_restore")

    payment = asaas.payment_restore(PAY)

    assert sent_text(http.calls[0]) == "{}"
    assert payment.status == "PENDING"
    assert payment.splits == ()


def test_payment_refund_partial_sends_exact_value_and_parses_refunds(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    recorded = serve(http, "payment_refund_partial")

    payment = asaas.payment_refund(PAY, value="30", description="Reembolso parcial")

    call = http.calls[0]
    assert call.request.url == ORIGIN + f"/v3/payments/{PAY}/refund"
    assert sent_json(call) == recorded["request"]["body"]
    assert '"value":30.00' in sent_text(call)
    assert len(payment.refunds) == 1
    refund = payment.refunds[0]
    assert refund.value == Decimal("30.00")
    assert refund.status == "PENDING"
    assert refund.date_created == datetime(2026, 7, 15, 10, 12, 45)
    assert refund.description == "Reembolso parcial"


def test_payment_refund_in_full_sends_an_empty_object(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_refund_partial")

    asaas.payment_refund(PAY)

    assert sent_json(http.calls[0]) == {}


def test_payment_receive_in_cash_sends_date_value_and_flag(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    recorded = serve(http, "payment_receive_in_cash")

    payment = asaas.payment_receive_in_cash(
        PAY, payment_date=date(2026, 7, 16), value=Decimal("100.00")
    )

    call = http.calls[0]
    assert sent_json(call) == recorded["request"]["body"]
    assert sent_text(call) == '{"paymentDate":"2026-07-16","value":100.00,"notifyCustomer":false}'
    assert payment.status == "RECEIVED_IN_CASH"
    assert payment.payment_date == date(2026, 7, 16)
    assert {split.cancellation_reason for split in payment.splits} == {"PAYMENT_RECEIVED_IN_CASH"}


def test_payment_pix_qr_code_parses_expiration_and_hides_the_image_from_repr(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_pix_qr_code")

    qr_code = asaas.payment_pix_qr_code(PAY)

    assert http.calls[0].request.body is None
    assert qr_code.expiration_date == datetime(2027, 7, 19, 23, 59, 59)
    assert qr_code.payload is not None
    assert qr_code.payload.startswith("000201")
    assert qr_code.encoded_image is not None
    assert qr_code.encoded_image.startswith("iVBOR")
    assert "iVBOR" not in repr(qr_code)


def test_payment_status_reads_only_the_status(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_status")

    assert asaas.payment_status(PAY).status == "RECEIVED"
    assert http.calls[0].request.url == ORIGIN + f"/v3/payments/{PAY}/status"


def test_sandbox_payment_confirm_marks_pix_received(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "sandbox_payment_confirm")

    payment = asaas.sandbox_payment_confirm(PAY)

    assert http.calls[0].request.method == "POST"
    assert sent_json(http.calls[0]) == {}
    assert payment.status == "RECEIVED"
    assert payment.payment_date == date(2026, 7, 14)
    assert payment.client_payment_date == date(2026, 7, 14)
    assert {split.status for split in payment.splits} == {"AWAITING_CREDIT"}


def test_sandbox_payment_overdue_forces_overdue(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "sandbox_payment_overdue")

    assert asaas.sandbox_payment_overdue(PAY).status == "OVERDUE"
    assert http.calls[0].request.url == ORIGIN + f"/v3/sandbox/payment/{PAY}/overdue"


def test_ids_are_quoted_into_a_single_path_segment(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    http.add("GET", ORIGIN + "/v3/payments/pay_x%2F..%2Fcustomers", json={"id": "pay_x"})

    asaas.payment_get("pay_x/../customers")

    assert http.calls[0].request.path_url == "/v3/payments/pay_x%2F..%2Fcustomers"


def test_empty_ids_are_refused_before_any_request(asaas: AsaasService) -> None:
    with pytest.raises(ValueError, match="payment id"):
        asaas.payment_get("")


def test_exchange_as_dict_writes_amounts_as_exact_strings(
    asaas: AsaasService, http: responses.RequestsMock
) -> None:
    serve(http, "payment_create_pix_split")

    payment = _create_pix(asaas)

    assert payment.exchange is not None
    stored = payment.exchange.as_dict()
    assert stored["request"]["body"]["value"] == "100.00"
    assert stored["request"]["body"]["split"][0]["fixedValue"] == "70.00"
    assert stored["response"]["body"]["netValue"] == "98.01"
    assert stored["response"]["status"] == 200
    assert payment.raw["netValue"] == Decimal("98.01")
