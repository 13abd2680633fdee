"""More ``/v3`` handlers: split lists, balance, fee simulator, boleto line, billing info,
card tokenization and payment with a card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from .api import Request, Response, listing, ok, pix_qr, route
from .cards import tokenize
from .common import ApiError, Json, JsonObject, invalid, money, not_found, parse_date, to_decimal
from .models import Payment, Split

if TYPE_CHECKING:
    from .server import EmulatorApp

_ID = r"([^/]+)"


# --- split lists (issuer: "paid", receiver: "received") ------------------------------------------


def _split_rows(app: EmulatorApp, req: Request, side: str) -> list[tuple[Payment, Split]]:
    caller = req.caller
    with app.store.lock:
        payments = sorted(app.store.payments.values(), key=lambda p: p.seq, reverse=True)
        rows = [
            (p, s)
            for p in payments
            for s in p.splits
            if (p.account_id == caller.id if side == "paid" else s.wallet_id == caller.wallet_id)
        ]
    query = req.query

    def keep(payment: Payment, split: Split) -> bool:
        if "paymentId" in query and payment.id != query["paymentId"]:
            return False
        if "status" in query and split.status != query["status"]:
            return False
        for key, value in (
            ("paymentConfirmedDate", payment.confirmed_date),
            ("creditDate", split.credit_date),
        ):
            low, high = parse_date(query.get(f"{key}[ge]")), parse_date(query.get(f"{key}[le]"))
            if (low or high) and value is None:
                return False
            if value is not None and low and value < low.isoformat():
                return False
            if value is not None and high and value > high.isoformat():
                return False
        return True

    return [(p, s) for p, s in rows if keep(p, s)]


def _split_full(app: EmulatorApp, payment: Payment, split: Split) -> JsonObject:
    receiver = app.store.account_by_wallet(split.wallet_id)
    body = split.render()
    body.update(
        {
            "originAccountId": payment.account_id,
            "destinationAccountId": receiver.id if receiver else None,
            "creditDate": split.credit_date,
            "payment": {
                "confirmedDate": payment.confirmed_date,
                "invoiceNumber": payment.invoice_number,
                "externalReference": payment.external_reference,
            },
        }
    )
    return body


def _split_list(app: EmulatorApp, req: Request, side: str) -> Response:
    rows = _split_rows(app, req, side)
    return listing([_split_full(app, p, s) for p, s in rows], req.query)


def _split_one(app: EmulatorApp, req: Request, side: str) -> Response:
    for payment, split in _split_rows(app, Request("GET", req.path, {}, {}, (), req.account), side):
        if split.id == req.params[0]:
            return ok(_split_full(app, payment, split))
    raise not_found()


@route("GET", "/v3/payments/splits/paid")
def splits_paid(app: EmulatorApp, req: Request) -> Response:
    return _split_list(app, req, "paid")


@route("GET", "/v3/payments/splits/received")
def splits_received(app: EmulatorApp, req: Request) -> Response:
    return _split_list(app, req, "received")


@route("GET", f"/v3/payments/splits/paid/{_ID}")
def split_paid(app: EmulatorApp, req: Request) -> Response:
    return _split_one(app, req, "paid")


@route("GET", f"/v3/payments/splits/received/{_ID}")
def split_received(app: EmulatorApp, req: Request) -> Response:
    return _split_one(app, req, "received")


# --- balance, simulator --------------------------------------------------------------------------


@route("GET", "/v3/finance/balance")
def balance(app: EmulatorApp, req: Request) -> Response:
    return ok({"balance": money(app.store.balance(req.caller.id))})


@route("POST", "/v3/payments/simulate")
def simulate(app: EmulatorApp, req: Request) -> Response:
    value = to_decimal(req.body.get("value"))
    if value is None or value <= 0:
        raise invalid("value", "Informe o valor da cobrança.")
    value = money(value)
    count_raw = to_decimal(req.body.get("installmentCount") or 1)
    count = int(count_raw) if count_raw is not None and count_raw >= 1 else 1
    wanted = req.body.get("billingTypes")
    types = (
        [str(t) for t in wanted] if isinstance(wanted, list) else ["CREDIT_CARD", "BOLETO", "PIX"]
    )
    body: JsonObject = {"value": value}

    def part(billing_type: str) -> JsonObject:
        rule = app.config.fees.get(billing_type)
        fee = rule.fee(value) if rule else Decimal("0.00")
        net = money(value - fee)
        installment: JsonObject = {
            "paymentNetValue": money(net / count),
            "paymentValue": money(value / count),
        }
        percent = rule.percent if rule else Decimal(0)
        if billing_type == "CREDIT_CARD":
            fixed = rule.fixed if rule else Decimal(0)
            return {
                "netValue": net,
                "feePercentage": percent,
                "operationFee": fixed,
                "installment": installment,
            }
        return {
            "netValue": net,
            "feePercentage": percent,
            "feeValue": fee,
            "installment": installment,
        }

    for billing_type, key in (
        ("CREDIT_CARD", "creditCard"),
        ("BOLETO", "bankSlip"),
        ("PIX", "pix"),
    ):
        if billing_type in types:
            body[key] = part(billing_type)
    return ok(body)


# --- boleto line, billing info -------------------------------------------------------------------


def _mod10(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return str((10 - total % 10) % 10)


def _mod11(digits: str) -> str:
    total = sum(int(ch) * (2 + i % 8) for i, ch in enumerate(reversed(digits)))
    rest = 11 - total % 11
    return "1" if rest in (0, 10, 11) else str(rest)


def bank_slip_codes(payment: Payment) -> tuple[str, str]:
    """(identificationField, barCode): FEBRABAN layout, bank 461 (Asaas); numbers are made up."""
    due = parse_date(payment.due_date) or dt.date(2000, 1, 1)
    factor = f"{(due - dt.date(1997, 10, 7)).days % 9000 + 1000:04d}"
    amount = f"{int(payment.value * 100):010d}"
    free = (str(payment.nosso_numero or "0") + payment.invoice_number).rjust(25, "0")[-25:]
    body = "4619" + factor + amount + free
    bar = body[:4] + _mod11(body) + body[4:]
    fields = [bar[0:4] + bar[19:24], bar[24:34], bar[34:44]]
    line = "".join(f + _mod10(f) for f in fields) + bar[4] + bar[5:19]
    return line, bar


@route("GET", f"/v3/payments/{_ID}/identificationField")
def identification_field(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.get(req.caller, req.params[0])
    if payment.billing_type not in ("BOLETO", "UNDEFINED"):
        raise invalid("billingType", "Linha digitável disponível apenas para boleto.")
    line, bar = bank_slip_codes(payment)
    return ok({"identificationField": line, "nossoNumero": payment.nosso_numero, "barCode": bar})


@route("GET", f"/v3/payments/{_ID}/billingInfo")
def billing_info(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.get(req.caller, req.params[0])
    pix: Json = None
    if payment.billing_type in ("PIX", "BOLETO", "UNDEFINED") and payment.status in (
        "PENDING",
        "OVERDUE",
    ):
        try:
            pix = pix_qr(app, payment, req.caller)
        except ApiError:
            pix = None
    bank_slip: Json = None
    if payment.billing_type in ("BOLETO", "UNDEFINED"):
        line, bar = bank_slip_codes(payment)
        bank_slip = {
            "identificationField": line,
            "nossoNumero": payment.nosso_numero,
            "barCode": bar,
            "bankSlipUrl": f"{app.base_url}/b/pdf/{payment.slug}",
            "daysAfterDueDateToRegistrationCancellation": None,
        }
    card: Json = dict(payment.credit_card) if payment.credit_card else None
    return ok({"pix": pix, "creditCard": card, "bankSlip": bank_slip})


# --- cards ---------------------------------------------------------------------------------------


@route("POST", "/v3/creditCard/tokenize")
def tokenize_card(app: EmulatorApp, req: Request) -> Response:
    customer = app.store.customers.get(str(req.body.get("customer") or ""))
    if customer is None or customer.account_id != req.caller.id or customer.deleted:
        raise invalid("customer", "Customer inválido ou não informado.")
    return ok(tokenize(app.store, customer.id, req.body))


@route("POST", f"/v3/payments/{_ID}/payWithCreditCard")
def pay_with_credit_card(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.pay_with_credit_card(req.caller, req.params[0], req.body)
    return ok(payment.render(app.base_url))
