"""Payment (cobrança) operations on the Store: create, update, delete, confirm, refund.

Deleted payments are left out of ``GET /v3/payments`` lists, but ``GET /v3/payments/{id}``
still answers them with ``"deleted": true``; DELETE drops the split (a restored payment has
none, as in Asaas). Events: create → PAYMENT_CREATED, PUT → PAYMENT_UPDATED, DELETE →
PAYMENT_DELETED, restore → PAYMENT_RESTORED, sandbox confirm → PAYMENT_RECEIVED (PIX, BOLETO,
UNDEFINED) or PAYMENT_CONFIRMED (CREDIT_CARD), sandbox overdue → PAYMENT_OVERDUE, full refund
→ PAYMENT_REFUNDED, partial → PAYMENT_PARTIALLY_REFUNDED, receiveInCash → PAYMENT_RECEIVED
(status RECEIVED_IN_CASH; Asaas documents no dedicated event), undo →
PAYMENT_RECEIVED_IN_CASH_UNDONE. Split rules live in ``splits.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .common import (
    ApiError,
    Json,
    JsonObject,
    fmt_datetime,
    invalid,
    money,
    not_found,
    now,
    parse_date,
    random_alnum,
    random_digits,
    to_decimal,
    today,
)
from .models import Account, Payment, Refund
from .splits import SplitRules, brl
from .state import Store

BILLING_TYPES = ("UNDEFINED", "BOLETO", "CREDIT_CARD", "PIX")
OPEN_STATUSES = ("PENDING", "OVERDUE")


def _next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class PaymentService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.config = store.config
        self.splits = SplitRules(store.config, store.wallet_exists)

    # --- helpers ----------------------------------------------------------------------------

    def _fee(self, billing_type: str, value: Decimal) -> Decimal:
        rule = self.config.fees.get(billing_type) or self.config.fees.get("BOLETO")
        return rule.fee(value) if rule else Decimal("0.00")

    def _net(self, billing_type: str, value: Decimal) -> Decimal:
        fee = self._fee(billing_type, value)
        net = money(value - fee)
        if net <= 0:
            raise invalid("value", f"O valor da cobrança deve ser maior que a taxa de {brl(fee)}.")
        return net

    def get(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.store.payments.get(payment_id)
            if payment is None or payment.account_id != account.id:
                raise not_found()
            return payment

    def _live(self, account: Account, payment_id: str) -> Payment:
        payment = self.get(account, payment_id)
        if payment.deleted:
            raise ApiError(400, "invalid_action", "A cobrança informada foi removida.")
        return payment

    def _commit(self, event: str, payment: Payment) -> Payment:
        self.store.save()
        self.store.emit(event, payment)
        return payment

    # --- create / read ----------------------------------------------------------------------

    def create(self, account: Account, body: JsonObject) -> Payment:
        with self.store.lock:
            customer = self.store.customers.get(str(body.get("customer") or ""))
            if customer is None or customer.account_id != account.id or customer.deleted:
                raise invalid("customer", "Customer inválido ou não informado.")
            billing_type, value, due = self._check_core(body, body)
            net = self._net(billing_type, value)
            description = self._check_description(body.get("description"))
            splits = self.splits.build(account, body.get("split"), net)
            seq = self.store.next_number("payment")
            external = body.get("externalReference")
            payment = Payment(
                id=f"pay_{random_alnum(16)}",
                account_id=account.id,
                customer_id=customer.id,
                seq=seq,
                date_created=today().isoformat(),
                billing_type=billing_type,
                value=value,
                net_value=net,
                due_date=due.isoformat(),
                original_due_date=due.isoformat(),
                invoice_number=str(self.store.next_number("invoice")),
                description=description,
                external_reference=str(external) if external is not None else None,
                nosso_numero=random_digits(8) if billing_type in ("BOLETO", "UNDEFINED") else None,
                discount=_discount(body.get("discount")),
                fine=_charge(body.get("fine"), "FIXED"),
                interest=_charge(body.get("interest"), "PERCENTAGE"),
                postal_service=body.get("postalService") is True,
                splits=splits,
            )
            self.store.payments[payment.id] = payment
            return self._commit("PAYMENT_CREATED", payment)

    def _check_core(self, body: JsonObject, current: JsonObject) -> tuple[str, Decimal, dt.date]:
        billing_type = current.get("billingType")
        if not isinstance(billing_type, str) or billing_type not in BILLING_TYPES:
            raise invalid("billingType", "É necessário informar uma forma de pagamento válida.")
        value = to_decimal(current.get("value"))
        if value is None or value <= 0:
            raise invalid("value", "O valor da cobrança deve ser informado e maior que zero.")
        if current.get("dueDate") is None:
            raise invalid("dueDate", "É necessário informar a data de vencimento.")
        due = parse_date(current.get("dueDate"))
        if due is None:
            raise invalid("dueDate", "A data de vencimento informada é inválida.")
        if "dueDate" in body and due < today():
            raise invalid("dueDate", "Não é permitido data de vencimento inferior a hoje.")
        return billing_type, money(value), due

    @staticmethod
    def _check_description(raw: Json) -> str | None:
        if raw is None:
            return None
        if len(str(raw)) > 500:
            raise invalid("description", "A descrição deve ter no máximo 500 caracteres.")
        return str(raw)

    def list(self, account: Account, query: dict[str, str]) -> list[Payment]:
        with self.store.lock:
            found = [
                p
                for p in self.store.payments.values()
                if p.account_id == account.id and not p.deleted
            ]
        found = [p for p in found if _matches(p, query)]
        return sorted(found, key=lambda p: p.seq, reverse=True)

    # --- changes ----------------------------------------------------------------------------

    def update(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(
                    400,
                    "invalid_action",
                    "Só é possível alterar cobranças aguardando pagamento ou vencidas.",
                )
            current: JsonObject = {
                "billingType": payment.billing_type,
                "value": payment.value,
                "dueDate": payment.due_date,
            }
            current.update({k: body[k] for k in ("billingType", "value", "dueDate") if k in body})
            billing_type, value, due = self._check_core(body, current)
            net = self._net(billing_type, value)
            description = (
                self._check_description(body["description"])
                if "description" in body
                else payment.description
            )
            if "split" in body:
                raw = body["split"]
                splits = self.splits.build(account, raw if raw != [] else None, net)
            else:
                splits = payment.splits
                self.splits.check_totals(splits, net)
            payment.billing_type, payment.value, payment.net_value = billing_type, value, net
            payment.due_date, payment.description, payment.splits = (
                due.isoformat(),
                description,
                splits,
            )
            if "externalReference" in body:
                ext = body["externalReference"]
                payment.external_reference = str(ext) if ext is not None else None
            for key, default in (("fine", "FIXED"), ("interest", "PERCENTAGE")):
                if key in body:
                    setattr(payment, key, _charge(body[key], default))
            if "discount" in body:
                payment.discount = _discount(body["discount"])
            if "postalService" in body:
                payment.postal_service = body["postalService"] is True
            if payment.status == "OVERDUE" and due >= today():
                payment.status = "PENDING"
            return self._commit("PAYMENT_UPDATED", payment)

    def delete(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(
                    400,
                    "invalid_action",
                    "Só é possível remover cobranças aguardando pagamento ou vencidas.",
                )
            payment.deleted = True
            payment.splits = []
            return self._commit("PAYMENT_DELETED", payment)

    def restore(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.get(account, payment_id)
            if not payment.deleted:
                raise ApiError(400, "invalid_action", "A cobrança informada não está removida.")
            payment.deleted = False
            return self._commit("PAYMENT_RESTORED", payment)

    def confirm(self, account: Account, payment_id: str) -> Payment:
        """Sandbox confirm: PIX/BOLETO/UNDEFINED → RECEIVED, CREDIT_CARD → CONFIRMED."""
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(400, "invalid_action", "Esta cobrança não pode ser confirmada.")
            day = today()
            payment.client_payment_date = payment.confirmed_date = day.isoformat()
            for split in payment.splits:
                split.status = "AWAITING_CREDIT"
            if payment.billing_type == "CREDIT_CARD":
                payment.status = "CONFIRMED"
                credit = day + dt.timedelta(days=32)
                payment.credit_date = payment.estimated_credit_date = credit.isoformat()
                return self._commit("PAYMENT_CONFIRMED", payment)
            payment.status = "RECEIVED"
            payment.payment_date = day.isoformat()
            credit = day if payment.billing_type == "PIX" else _next_business_day(day)
            payment.credit_date = payment.estimated_credit_date = credit.isoformat()
            return self._commit("PAYMENT_RECEIVED", payment)

    def overdue(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status != "PENDING":
                raise ApiError(400, "invalid_action", "Apenas cobranças pendentes podem vencer.")
            payment.status = "OVERDUE"
            return self._commit("PAYMENT_OVERDUE", payment)

    def settle(self, account_id: str | None, payment_id: str) -> Payment:
        """Emulator-only: credit a CONFIRMED card payment; AWAITING_CREDIT splits → DONE."""
        with self.store.lock:
            payment = self.store.payments.get(payment_id)
            if payment is None or (account_id and payment.account_id != account_id):
                raise not_found()
            if payment.status not in ("CONFIRMED", "RECEIVED"):
                raise ApiError(400, "invalid_action", "Apenas cobranças confirmadas ou recebidas.")
            for split in payment.splits:
                if split.status == "AWAITING_CREDIT":
                    split.status = "DONE"
            if payment.status == "CONFIRMED":
                payment.status = "RECEIVED"
                payment.payment_date = payment.credit_date = today().isoformat()
                return self._commit("PAYMENT_RECEIVED", payment)
            self.store.save()
            return payment

    def refund(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status not in ("RECEIVED", "CONFIRMED"):
                raise ApiError(
                    400,
                    "invalid_action",
                    "Só é possível estornar cobranças recebidas ou confirmadas.",
                )
            available = payment.value - payment.refunded_total
            raw = body.get("value")
            amount = available if raw is None else to_decimal(raw)
            if amount is None or amount <= 0:
                raise invalid("value", "O valor do estorno deve ser maior que zero.")
            amount = money(amount)
            if amount > available:
                raise invalid(
                    "value",
                    f"O valor do estorno excede o disponível para estorno ({brl(available)}).",
                )
            moment = now()
            refund = Refund(
                date_created=fmt_datetime(moment),
                value=amount,
                description=self._check_description(body.get("description")),
                effective_date=fmt_datetime(moment),
                end_to_end_identifier=f"E{random_digits(8)}{moment:%Y%m%d%H%M}{random_alnum(11)}"
                if payment.billing_type == "PIX"
                else None,
            )
            payment.refunds.append(refund)
            if amount < available:
                return self._commit("PAYMENT_PARTIALLY_REFUNDED", payment)
            payment.status = "REFUNDED"
            for split in payment.splits:
                if split.status != "CANCELLED":
                    refund.refunded_splits.append(
                        {"id": split.id, "value": split.total_value, "done": True}
                    )
                    split.status = "REFUNDED"
                    split.cancellation_reason = None
            return self._commit("PAYMENT_REFUNDED", payment)

    def receive_in_cash(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(
                    400, "invalid_action", "Esta cobrança não pode ser recebida em dinheiro."
                )
            paid_on = parse_date(body.get("paymentDate")) or today()
            payment.status_before_cash = payment.status
            payment.status = "RECEIVED_IN_CASH"
            payment.payment_date = payment.client_payment_date = paid_on.isoformat()
            for split in payment.splits:
                split.status = "CANCELLED"
                split.cancellation_reason = "PAYMENT_RECEIVED_IN_CASH"
            return self._commit("PAYMENT_RECEIVED", payment)

    def undo_received_in_cash(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self._live(account, payment_id)
            if payment.status != "RECEIVED_IN_CASH":
                raise ApiError(400, "invalid_action", "A cobrança não foi recebida em dinheiro.")
            overdue = dt.date.fromisoformat(payment.due_date) < today()
            payment.status = "OVERDUE" if overdue else "PENDING"
            payment.payment_date = payment.client_payment_date = None
            payment.status_before_cash = None
            for split in payment.splits:
                split.status, split.cancellation_reason = "PENDING", None
            return self._commit("PAYMENT_RECEIVED_IN_CASH_UNDONE", payment)


def _discount(raw: Json) -> JsonObject:
    body: JsonObject = {
        "value": Decimal(0),
        "limitDate": None,
        "dueDateLimitDays": 0,
        "type": "FIXED",
    }
    if isinstance(raw, dict):
        body["value"] = to_decimal(raw.get("value")) or Decimal(0)
        days = to_decimal(raw.get("dueDateLimitDays"))
        body["dueDateLimitDays"] = int(days) if days is not None else 0
        if raw.get("type") in ("FIXED", "PERCENTAGE"):
            body["type"] = raw["type"]
    return body


def _charge(raw: Json, default_type: str) -> JsonObject:
    body: JsonObject = {"value": Decimal(0), "type": default_type}
    if isinstance(raw, dict):
        body["value"] = to_decimal(raw.get("value")) or Decimal(0)
        if raw.get("type") in ("FIXED", "PERCENTAGE"):
            body["type"] = raw["type"]
    return body


def _matches(payment: Payment, query: dict[str, str]) -> bool:
    exact = {
        "externalReference": payment.external_reference,
        "customer": payment.customer_id,
        "status": payment.status,
        "billingType": payment.billing_type,
    }
    if any(key in query and query[key] != value for key, value in exact.items()):
        return False
    ranges = {
        "dateCreated": payment.date_created,
        "dueDate": payment.due_date,
        "paymentDate": payment.payment_date,
    }
    for key, value in ranges.items():
        low = parse_date(query.get(f"{key}[ge]"))
        high = parse_date(query.get(f"{key}[le]"))
        if (low or high) and value is None:
            return False
        if value is not None and low is not None and value < low.isoformat():
            return False
        if value is not None and high is not None and value > high.isoformat():
            return False
    return True
