from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from payments.emulator import EmulatorServer
from payments.emulator.config import parse_fees
from payments.emulator.pix import crc16_ccitt

from .conftest import Api, brt_today, future, start_emulator
from .golden import BOLETO_PAYMENT_KEYS, CARD_PAYMENT_KEYS, PIX_PAYMENT_KEYS

MakePayment = Callable[..., dict[str, Any]]


def test_pix_payment_matches_sandbox(
    api: Api, emulator: EmulatorServer, customer: dict[str, Any]
) -> None:
    body = {
        "customer": customer["id"],
        "billingType": "PIX",
        "value": 100,
        "dueDate": future(),
        "description": "Paridade Pix",
    }
    response = api.post("/v3/payments", body)
    assert response.status_code == 200
    payment = response.json()
    assert set(payment) == PIX_PAYMENT_KEYS  # no subscription/installment/split keys
    assert '"netValue":98.01' in response.text  # a JSON number, not a string
    assert payment["value"] == 100
    assert payment["netValue"] == 98.01
    assert payment["status"] == "PENDING"
    assert re.fullmatch(r"pay_[a-z0-9]{16}", payment["id"])
    assert payment["invoiceUrl"] == f"{emulator.url}/i/{payment['id'][4:]}"
    assert payment["discount"] == {
        "value": 0,
        "limitDate": None,
        "dueDateLimitDays": 0,
        "type": "FIXED",
    }
    assert payment["fine"] == {"value": 0, "type": "FIXED"}
    assert payment["interest"] == {"value": 0, "type": "PERCENTAGE"}
    assert payment["refunds"] is None
    assert api.ok("GET", f"/v3/payments/{payment['id']}") == payment


def test_card_and_boleto_fees_and_fields(make_payment: MakePayment) -> None:
    card = make_payment(billingType="CREDIT_CARD")
    assert set(card) == CARD_PAYMENT_KEYS
    assert card["netValue"] == 96.52  # 100 - 0.49 - 2.99 %
    boleto = make_payment(
        billingType="BOLETO",
        value=350,
        fine={"value": 2, "type": "PERCENTAGE"},
        interest={"value": 1},
        discount={"value": 5, "dueDateLimitDays": 0, "type": "PERCENTAGE"},
    )
    assert set(boleto) == BOLETO_PAYMENT_KEYS
    assert boleto["netValue"] == 348.01
    assert boleto["canBePaidAfterDueDate"] is True
    assert boleto["fine"] == {"value": 2, "type": "PERCENTAGE"}
    assert boleto["interest"] == {"value": 1, "type": "PERCENTAGE"}
    assert boleto["discount"] == {
        "value": 5,
        "limitDate": None,
        "dueDateLimitDays": 0,
        "type": "PERCENTAGE",
    }
    assert re.fullmatch(r"\d{8}", boleto["nossoNumero"])


def test_fee_table_is_configurable() -> None:
    server = start_emulator(fees=parse_fees('{"PIX": {"fixed": 0.5, "percent": 1}}'))
    try:
        api = Api(server.url, server.api_key)
        customer = api.ok("POST", "/v3/customers", {"name": "X", "cpfCnpj": "24971563792"})
        body = {"customer": customer["id"], "billingType": "PIX", "value": 100, "dueDate": future()}
        assert api.ok("POST", "/v3/payments", body)["netValue"] == 98.5
        body["billingType"] = "CREDIT_CARD"  # untouched default
        assert api.ok("POST", "/v3/payments", body)["netValue"] == 96.52
    finally:
        server.stop()


def test_empty_body_answers_only_the_customer_error(api: Api) -> None:
    response = api.post("/v3/payments", {})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"code": "invalid_customer", "description": "Customer inválido ou não informado."}
        ]
    }


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"billingType": "BITCOIN"}, "invalid_billingType"),
        ({"billingType": None, "value": 0}, "invalid_billingType"),
        ({"value": 0}, "invalid_value"),
        ({"value": -5, "dueDate": "2000-01-01"}, "invalid_value"),
        ({"value": 1}, "invalid_value"),  # below the fee
        ({"dueDate": None}, "invalid_dueDate"),
        ({"dueDate": "31/12/2099"}, "invalid_dueDate"),
        ({"description": "x" * 501}, "invalid_description"),
    ],
)
def test_payment_validation(
    api: Api, customer: dict[str, Any], fields: dict[str, Any], code: str
) -> None:
    body = {"customer": customer["id"], "billingType": "PIX", "value": 100, "dueDate": future()}
    body.update(fields)
    response = api.post("/v3/payments", body)
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]


def test_due_date_before_today_is_rejected(api: Api, customer: dict[str, Any]) -> None:
    yesterday = (brt_today() - dt.timedelta(days=1)).isoformat()
    body = {"customer": customer["id"], "billingType": "PIX", "value": 100, "dueDate": yesterday}
    response = api.post("/v3/payments", body)
    assert response.json()["errors"] == [
        {
            "code": "invalid_dueDate",
            "description": "Não é permitido data de vencimento inferior a hoje.",
        }
    ]
    body["dueDate"] = brt_today().isoformat()
    assert api.post("/v3/payments", body).status_code == 200


def test_list_newest_first_with_filters(
    api: Api, make_payment: MakePayment, customer: dict[str, Any]
) -> None:
    first = make_payment(externalReference="appt-1")
    second = make_payment(externalReference="appt-2", billingType="BOLETO")
    third = make_payment(externalReference="appt-2")
    api.ok("POST", f"/v3/sandbox/payment/{third['id']}/confirm")
    listed = api.ok("GET", "/v3/payments")
    assert [p["id"] for p in listed["data"]] == [third["id"], second["id"], first["id"]]

    def ids(query: str) -> list[str]:
        return [p["id"] for p in api.ok("GET", f"/v3/payments?{query}")["data"]]

    assert ids("externalReference=appt-2") == [third["id"], second["id"]]
    assert ids("status=RECEIVED") == [third["id"]]
    assert ids("billingType=BOLETO") == [second["id"]]
    assert ids(f"customer={customer['id']}") == [third["id"], second["id"], first["id"]]
    assert ids("customer=cus_000000000000") == []
    today = brt_today()
    assert len(ids(f"dateCreated%5Bge%5D={today}&dateCreated%5Ble%5D={today}")) == 3
    assert ids(f"dateCreated[ge]={today + dt.timedelta(days=1)}") == []
    assert ids(f"dateCreated[le]={today - dt.timedelta(days=1)}") == []


def test_update_payment(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    new_due = future(10)
    updated = api.ok(
        "PUT",
        f"/v3/payments/{payment['id']}",
        {"value": 200, "dueDate": new_due, "description": "Consulta"},
    )
    assert (updated["value"], updated["netValue"]) == (200, 198.01)
    assert updated["dueDate"] == new_due
    assert updated["originalDueDate"] == payment["dueDate"]
    assert updated["description"] == "Consulta"
    bad = api.put(f"/v3/payments/{payment['id']}", {"value": 0})
    assert bad.json()["errors"][0]["code"] == "invalid_value"
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    closed = api.put(f"/v3/payments/{payment['id']}", {"value": 300})
    assert closed.status_code == 400
    assert closed.json()["errors"][0]["code"] == "invalid_action"


def test_overdue_then_update_back_to_pending(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    overdue = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/overdue")
    assert overdue["status"] == "OVERDUE"
    assert api.ok("GET", f"/v3/payments/{payment['id']}/status") == {"status": "OVERDUE"}
    updated = api.ok("PUT", f"/v3/payments/{payment['id']}", {"dueDate": future(3)})
    assert updated["status"] == "PENDING"


def test_delete_and_restore_payment(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    assert api.ok("DELETE", f"/v3/payments/{payment['id']}") == {
        "deleted": True,
        "id": payment["id"],
    }
    assert api.ok("GET", "/v3/payments")["totalCount"] == 0  # deleted ones are not listed
    assert api.ok("GET", f"/v3/payments/{payment['id']}")["deleted"] is True
    assert api.post(f"/v3/sandbox/payment/{payment['id']}/confirm").status_code == 400
    restored = api.ok("POST", f"/v3/payments/{payment['id']}/restore")
    assert (restored["deleted"], restored["status"]) == (False, "PENDING")
    assert api.ok("GET", "/v3/payments")["totalCount"] == 1
    api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert api.delete(f"/v3/payments/{payment['id']}").status_code == 400


def test_sandbox_confirm_pix_sets_dates(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment()
    confirmed = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    today = brt_today().isoformat()
    assert confirmed["status"] == "RECEIVED"
    assert confirmed["paymentDate"] == confirmed["clientPaymentDate"] == today
    assert confirmed["confirmedDate"] == confirmed["creditDate"] == today
    assert confirmed["transactionReceiptUrl"]
    again = api.post(f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert again.status_code == 400


def test_sandbox_confirm_card_is_confirmed_until_credit(
    api: Api, control: Api, make_payment: MakePayment
) -> None:
    payment = make_payment(billingType="CREDIT_CARD")
    confirmed = api.ok("POST", f"/v3/sandbox/payment/{payment['id']}/confirm")
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["paymentDate"] is None
    assert confirmed["confirmedDate"] == brt_today().isoformat()
    credit = brt_today() + dt.timedelta(days=32)
    while credit.weekday() >= 5:  # rolled to a business day
        credit += dt.timedelta(days=1)
    assert confirmed["creditDate"] == credit.isoformat()
    settled = control.ok("POST", f"/_emulator/payments/{payment['id']}/settle")
    assert settled["status"] == "RECEIVED"
    assert settled["paymentDate"] == brt_today().isoformat()


def test_pix_qr_code(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment(dueDate="2099-02-28")
    qr = api.ok("GET", f"/v3/payments/{payment['id']}/pixQrCode")
    assert qr["expirationDate"] == "2100-02-28 23:59:59"
    assert base64.b64decode(qr["encodedImage"]).startswith(b"\x89PNG\r\n\x1a\n")
    emv = qr["payload"]
    assert emv.startswith("000201")
    assert "br.gov.bcb.pix" in emv
    assert "5406100.00" in emv  # amount field
    assert emv[-4:] == f"{crc16_ccitt(emv[:-4].encode()):04X}"
    card = make_payment(billingType="CREDIT_CARD")
    assert api.get(f"/v3/payments/{card['id']}/pixQrCode").status_code == 400


def test_money_parsing_keeps_cents(api: Api, make_payment: MakePayment) -> None:
    payment = make_payment(value="129.90")
    assert payment["value"] == 129.9
    assert payment["netValue"] == 127.91
