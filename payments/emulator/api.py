"""Handlers of the Asaas ``/v3`` API surface. Each takes (app, request) and returns a Response."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .common import ApiError, Json, JsonObject, add_years, not_found, parse_date
from .models import Account, Payment, render_account, render_customer
from .pix import emv_payload, encoded_png
from .state import list_envelope, paginate

if TYPE_CHECKING:
    from .server import EmulatorApp


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: JsonObject
    params: tuple[str, ...] = ()
    account: Account | None = None

    @property
    def caller(self) -> Account:
        assert self.account is not None
        return self.account


@dataclasses.dataclass
class Response:
    status: int
    body: Json
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


Handler = Callable[["EmulatorApp", Request], Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
_ID = r"([^/]+)"


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}$"), handler))
        return handler

    return register


def ok(body: Json) -> Response:
    return Response(200, body)


def listing(items: list[Json], query: dict[str, str]) -> Response:
    page, offset, limit, more = paginate(items, query)
    return ok(list_envelope(page, len(items), offset, limit, more))


# --- accounts & wallets ------------------------------------------------------------------------


@route("GET", "/v3/wallets")
def list_wallets(app: EmulatorApp, req: Request) -> Response:
    return listing([{"object": "wallet", "id": req.caller.wallet_id}], req.query)


@route("POST", "/v3/accounts")
def create_account(app: EmulatorApp, req: Request) -> Response:
    account = app.store.create_account(req.caller, req.body)
    return ok(render_account(account, with_api_key=True))


@route("GET", "/v3/accounts")
def list_accounts(app: EmulatorApp, req: Request) -> Response:
    accounts = app.store.list_accounts(req.caller, req.query)
    return listing([render_account(a) for a in accounts], req.query)


@route("GET", f"/v3/accounts/{_ID}")
def get_account(app: EmulatorApp, req: Request) -> Response:
    return ok(render_account(app.store.get_account(req.caller, req.params[0])))


# --- customers -----------------------------------------------------------------------------------


@route("POST", "/v3/customers")
def create_customer(app: EmulatorApp, req: Request) -> Response:
    customer = app.store.create_customer(req.caller, req.body)
    app.hang_after_create()
    return ok(render_customer(customer))


@route("GET", "/v3/customers")
def list_customers(app: EmulatorApp, req: Request) -> Response:
    customers = app.store.list_customers(req.caller, req.query)
    return listing([render_customer(c) for c in customers], req.query)


@route("GET", f"/v3/customers/{_ID}")
def get_customer(app: EmulatorApp, req: Request) -> Response:
    return ok(render_customer(app.store.get_customer(req.caller, req.params[0])))


@route("PUT", f"/v3/customers/{_ID}")
def update_customer(app: EmulatorApp, req: Request) -> Response:
    return ok(render_customer(app.store.update_customer(req.caller, req.params[0], req.body)))


@route("DELETE", f"/v3/customers/{_ID}")
def delete_customer(app: EmulatorApp, req: Request) -> Response:
    customer = app.store.set_customer_deleted(req.caller, req.params[0], True)
    return ok({"deleted": True, "id": customer.id})


@route("POST", f"/v3/customers/{_ID}/restore")
def restore_customer(app: EmulatorApp, req: Request) -> Response:
    return ok(render_customer(app.store.set_customer_deleted(req.caller, req.params[0], False)))


# --- payments ------------------------------------------------------------------------------------


@route("POST", "/v3/payments")
def create_payment(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.create(req.caller, req.body)
    body = payment.render(app.base_url)
    app.hang_after_create()
    return ok(body)


@route("GET", "/v3/payments")
def list_payments(app: EmulatorApp, req: Request) -> Response:
    payments = app.payments.list(req.caller, req.query)
    return listing([p.render(app.base_url) for p in payments], req.query)


@route("GET", f"/v3/payments/{_ID}")
def get_payment(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.get(req.caller, req.params[0]).render(app.base_url))


@route("PUT", f"/v3/payments/{_ID}")
def update_payment(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.update(req.caller, req.params[0], req.body)
    return ok(payment.render(app.base_url))


@route("DELETE", f"/v3/payments/{_ID}")
def delete_payment(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.delete(req.caller, req.params[0])
    return ok({"deleted": True, "id": payment.id})


@route("POST", f"/v3/payments/{_ID}/restore")
def restore_payment(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.restore(req.caller, req.params[0]).render(app.base_url))


@route("GET", f"/v3/payments/{_ID}/status")
def payment_status(app: EmulatorApp, req: Request) -> Response:
    return ok({"status": app.payments.get(req.caller, req.params[0]).status})


@route("POST", f"/v3/payments/{_ID}/refund")
def refund_payment(app: EmulatorApp, req: Request) -> Response:
    payment = app.refunds.refund(req.caller, req.params[0], req.body)
    return ok(payment.render(app.base_url))


@route("GET", f"/v3/payments/{_ID}/refunds")
def list_refunds(app: EmulatorApp, req: Request) -> Response:
    rendered = app.payments.get(req.caller, req.params[0]).render(app.base_url)
    refunds = rendered.get("refunds")
    return listing(list(refunds) if isinstance(refunds, list) else [], req.query)


@route("POST", f"/v3/payments/{_ID}/receiveInCash")
def receive_in_cash(app: EmulatorApp, req: Request) -> Response:
    payment = app.payments.receive_in_cash(req.caller, req.params[0], req.body)
    return ok(payment.render(app.base_url))


@route("POST", f"/v3/payments/{_ID}/undoReceivedInCash")
def undo_received_in_cash(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.undo_received_in_cash(req.caller, req.params[0]).render(app.base_url))


def pix_qr(app: EmulatorApp, payment: Payment, caller: Account) -> JsonObject:
    if payment.billing_type not in ("PIX", "BOLETO", "UNDEFINED"):
        raise ApiError(
            400,
            "invalid_billingType",
            "QR Code Pix disponível apenas para Pix, boleto ou a definir.",
        )
    if payment.deleted or payment.status not in ("PENDING", "OVERDUE"):
        raise ApiError(400, "invalid_action", "Esta cobrança não pode mais ser paga via Pix.")
    due = parse_date(payment.due_date)
    if due is None:
        raise not_found()
    host = app.base_url.split("://", 1)[-1]
    payload = emv_payload(
        location=f"{host}/qr/v2/{payment.slug}",
        amount=payment.value,
        merchant=str(caller.data.get("name") or "ASAAS EMULATOR"),
        city="SAO PAULO",
    )
    return {
        "encodedImage": encoded_png(payload),
        "payload": payload,
        "expirationDate": f"{add_years(due, 1).isoformat()} 23:59:59",
        "description": payment.description,
    }


@route("GET", f"/v3/payments/{_ID}/pixQrCode")
def pix_qr_code(app: EmulatorApp, req: Request) -> Response:
    return ok(pix_qr(app, app.payments.get(req.caller, req.params[0]), req.caller))


@route("POST", f"/v3/sandbox/payment/{_ID}/confirm")
def sandbox_confirm(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.confirm(req.caller, req.params[0]).render(app.base_url))


@route("POST", f"/v3/sandbox/payment/{_ID}/overdue")
def sandbox_overdue(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.overdue(req.caller, req.params[0]).render(app.base_url))
