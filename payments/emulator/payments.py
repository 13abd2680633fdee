"""Payment (cobrança) operations on the Store: create, update, delete, confirm, cash, cards.

Deleted payments are left out of ``GET /v3/payments`` lists, but ``GET /v3/payments/{id}``
still answers them with ``"deleted": true``; DELETE drops the split (a restored payment has
none, as in Asaas). Events: create → PAYMENT_CREATED (+ PAYMENT_CONFIRMED when card data was
approved), PUT → PAYMENT_UPDATED, DELETE → PAYMENT_DELETED, restore → PAYMENT_RESTORED,
sandbox confirm → PAYMENT_RECEIVED (PIX, BOLETO, UNDEFINED) or PAYMENT_CONFIRMED
(CREDIT_CARD), overdue (sandbox or clock) → PAYMENT_OVERDUE, receiveInCash → PAYMENT_RECEIVED
(status RECEIVED_IN_CASH; Asaas documents no dedicated event) + PAYMENT_SPLIT_CANCELLED per
split, undo → PAYMENT_RECEIVED_IN_CASH_UNDONE. Refunds: ``refunds.py``; chargebacks:
``chargebacks.py``; time-driven changes: ``scheduler.py``; split rules: ``splits.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .cards import card_from_request
from .common import (
    ApiError,
    Json,
    JsonObject,
    invalid,
    money,
    not_found,
    parse_date,
    random_alnum,
    random_digits,
    start_of,
    to_decimal,
)
from .lifecycle import Events, Lifecycle
from .models import Account, Payment
from .payment_fields import charge_object, discount_object, matches
from .splits import SplitRules, brl
from .state import Store

BILLING_TYPES = ("UNDEFINED", "BOLETO", "CREDIT_CARD", "PIX")
OPEN_STATUSES = ("PENDING", "OVERDUE")


class PaymentService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.config = store.config
        self.clock = store.clock
        self.lifecycle = Lifecycle(store)
        self.splits = SplitRules(store.config, store.wallet_exists)

    # --- helpers ----------------------------------------------------------------------------

    def fee(self, billing_type: str, value: Decimal) -> Decimal:
        rule = self.config.fees.get(billing_type) or self.config.fees.get("BOLETO")
        return rule.fee(value) if rule else Decimal("0.00")

    def _net(self, billing_type: str, value: Decimal) -> Decimal:
        fee = self.fee(billing_type, value)
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

    def get_any(self, payment_id: str) -> Payment:
        """Control API: any account's payment."""
        with self.store.lock:
            payment = self.store.payments.get(payment_id)
            if payment is None:
                raise not_found()
            return payment

    def live(self, account: Account, payment_id: str) -> Payment:
        payment = self.get(account, payment_id)
        if payment.deleted:
            raise ApiError(400, "invalid_action", "A cobrança informada foi removida.")
        return payment

    def _commit(self, event: str, payment: Payment, more: Events | None = None) -> Payment:
        self.lifecycle.publish(payment, [(event, None), *(more or [])])
        return payment

    # --- create / read ----------------------------------------------------------------------

    def create(self, account: Account, body: JsonObject) -> Payment:
        with self.store.lock:
            customer = self.store.customers.get(str(body.get("customer") or ""))
            if customer is None or customer.account_id != account.id or customer.deleted:
                raise invalid("customer", "Customer inválido ou não informado.")
            billing_type, value, due = self._check_core(body, body)
            net = self._net(billing_type, value)
            description = self.check_description(body.get("description"))
            splits = self.splits.build(account, body.get("split"), net)
            card = None
            if billing_type == "CREDIT_CARD":
                card = card_from_request(self.store, customer.id, body)
            external = body.get("externalReference")
            payment = Payment(
                id=f"pay_{random_alnum(16)}",
                account_id=account.id,
                customer_id=customer.id,
                seq=self.store.next_number("payment"),
                date_created=self.store.today(),
                billing_type=billing_type,
                value=value,
                net_value=net,
                due_date=due.isoformat(),
                original_due_date=due.isoformat(),
                invoice_number=str(self.store.next_number("invoice")),
                description=description,
                external_reference=str(external) if external is not None else None,
                nosso_numero=random_digits(8) if billing_type in ("BOLETO", "UNDEFINED") else None,
                discount=discount_object(body.get("discount")),
                fine=charge_object(body.get("fine"), "FIXED"),
                interest=charge_object(body.get("interest"), "PERCENTAGE"),
                postal_service=body.get("postalService") is True,
                splits=splits,
            )
            self.store.payments[payment.id] = payment
            self._commit("PAYMENT_CREATED", payment)
            if card is not None:
                self._approve_card(payment, card)
                self._commit("PAYMENT_CONFIRMED", payment)
            return payment

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
        if "dueDate" in body and due < self.clock.today():
            raise invalid("dueDate", "Não é permitido data de vencimento inferior a hoje.")
        return billing_type, money(value), due

    @staticmethod
    def check_description(raw: Json) -> str | None:
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
        found = [p for p in found if matches(p, query)]
        return sorted(found, key=lambda p: p.seq, reverse=True)

    # --- changes ----------------------------------------------------------------------------

    def update(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
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
                self.check_description(body["description"])
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
                    setattr(payment, key, charge_object(body[key], default))
            if "discount" in body:
                payment.discount = discount_object(body["discount"])
            if "postalService" in body:
                payment.postal_service = body["postalService"] is True
            if payment.status == "OVERDUE" and due >= self.clock.today():
                payment.status = "PENDING"
            return self._commit("PAYMENT_UPDATED", payment)

    def delete(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
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

    # --- payment ----------------------------------------------------------------------------

    def _approve_card(self, payment: Payment, card: JsonObject | None) -> None:
        day = self.clock.today()
        payment.status = "CONFIRMED"
        payment.client_payment_date = payment.confirmed_date = day.isoformat()
        credit = self.clock.credit_date(day, self.config.card_credit_days)
        payment.credit_date = payment.estimated_credit_date = credit.isoformat()
        if card is not None:
            payment.credit_card = card
        self.lifecycle.mark_awaiting_credit(payment)

    def pay_with_credit_card(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(400, "invalid_action", "Esta cobrança não pode mais ser paga.")
            if payment.billing_type not in ("CREDIT_CARD", "UNDEFINED"):
                raise invalid("billingType", "Esta cobrança não aceita cartão de crédito.")
            card = card_from_request(self.store, payment.customer_id, body)
            if card is None:
                raise invalid("creditCard", "Informe os dados do cartão de crédito.")
            if payment.billing_type != "CREDIT_CARD":
                payment.billing_type = "CREDIT_CARD"
                payment.nosso_numero = None
                payment.net_value = self._net("CREDIT_CARD", payment.value)
                self.splits.check_totals(payment.splits, payment.net_value)
            self._approve_card(payment, card)
            return self._commit("PAYMENT_CONFIRMED", payment)

    def confirm(self, account: Account, payment_id: str) -> Payment:
        """Sandbox confirm: PIX/BOLETO/UNDEFINED → RECEIVED, CREDIT_CARD → CONFIRMED."""
        with self.store.lock:
            payment = self.live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(400, "invalid_action", "Esta cobrança não pode ser confirmada.")
            if payment.billing_type == "CREDIT_CARD":
                self._approve_card(payment, None)
                return self._commit("PAYMENT_CONFIRMED", payment)
            moment = self.clock.now()
            day = moment.date()
            payment.status = "RECEIVED"
            payment.client_payment_date = payment.confirmed_date = day.isoformat()
            payment.payment_date = day.isoformat()
            credit = day if payment.billing_type == "PIX" else self.clock.credit_date(day, 1)
            payment.credit_date = payment.estimated_credit_date = credit.isoformat()
            self.lifecycle.credit(payment, moment)
            return self._commit("PAYMENT_RECEIVED", payment)

    def overdue(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
            if payment.status != "PENDING":
                raise ApiError(400, "invalid_action", "Apenas cobranças pendentes podem vencer.")
            payment.status = "OVERDUE"
            return self._commit("PAYMENT_OVERDUE", payment)

    def credit_card_payment(self, payment: Payment) -> Events:
        """Credit date of a CONFIRMED card payment reached: RECEIVED (scheduler/settle)."""
        payment.status = "RECEIVED"
        payment.payment_date = payment.credit_date
        credit_day = parse_date(payment.credit_date) or self.clock.today()
        self.lifecycle.credit(payment, min(self.clock.now(), start_of(credit_day)))
        return [("PAYMENT_RECEIVED", None)]

    def settle(self, payment_id: str) -> Payment:
        """Control: credit a CONFIRMED card payment now and settle AWAITING_CREDIT splits now."""
        with self.store.lock:
            payment = self.get_any(payment_id)
            if payment.status not in ("CONFIRMED", "RECEIVED"):
                raise ApiError(400, "invalid_action", "Apenas cobranças confirmadas ou recebidas.")
            events: Events = []
            if payment.status == "CONFIRMED":
                payment.credit_date = self.store.today()
                events += self.credit_card_payment(payment)
            events += self.lifecycle.settle_splits(payment)
            self.lifecycle.publish(payment, events)
            return payment

    def receive_in_cash(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
            if payment.status not in OPEN_STATUSES:
                raise ApiError(
                    400, "invalid_action", "Esta cobrança não pode ser recebida em dinheiro."
                )
            paid_on = parse_date(body.get("paymentDate")) or self.clock.today()
            payment.status_before_cash = payment.status
            payment.status = "RECEIVED_IN_CASH"
            payment.payment_date = payment.client_payment_date = paid_on.isoformat()
            cancelled = self.lifecycle.cancel_splits(payment, "PAYMENT_RECEIVED_IN_CASH")
            return self._commit("PAYMENT_RECEIVED", payment, cancelled)

    def undo_received_in_cash(self, account: Account, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.live(account, payment_id)
            if payment.status != "RECEIVED_IN_CASH":
                raise ApiError(400, "invalid_action", "A cobrança não foi recebida em dinheiro.")
            overdue = dt.date.fromisoformat(payment.due_date) < self.clock.today()
            payment.status = "OVERDUE" if overdue else "PENDING"
            payment.payment_date = payment.client_payment_date = None
            payment.status_before_cash = None
            for split in payment.splits:
                split.status, split.cancellation_reason = "PENDING", None
            return self._commit("PAYMENT_RECEIVED_IN_CASH_UNDONE", payment)
