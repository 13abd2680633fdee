"""Refunds: ``POST /v3/payments/{id}/refund`` and the completion of deferred card refunds.

* Refundable: RECEIVED or CONFIRMED. ``value`` omitted = everything not yet refunded; several
  partial refunds may add up to the value. Fees are not given back: the issuer's balance must
  cover its part of the refund, else 400 ``invalid_action`` (Asaas's error shape; text guessed).
* ``splitRefunds: [{"id", "value"}]`` takes ``value`` back from a settled (DONE) split's
  receiver; every item is validated (``invalid_splitRefunds``, code guessed). A full refund
  without ``splitRefunds`` reverses every settled split in full. Splits still waiting for
  credit are CANCELLED (``PAYMENT_REFUNDED``) by a full refund.
* Pix/boleto: done at once → PAYMENT_REFUNDED (full) or PAYMENT_PARTIALLY_REFUNDED, then one
  PAYMENT_SPLIT_CANCELLED per cancelled split.
* Card RECEIVED: status REFUND_REQUESTED (no event: Asaas's enum has none), refund PENDING;
  ``card_refund_seconds`` later (scheduler) → REFUNDED + PAYMENT_REFUNDED (partial: back to
  RECEIVED + PAYMENT_PARTIALLY_REFUNDED).
* Card CONFIRMED (not yet credited): status REFUND_IN_PROGRESS + PAYMENT_REFUND_IN_PROGRESS;
  on the credit date the payment is credited and the refund completes as above.
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
    parse_date,
    random_alnum,
    random_digits,
    start_of,
    to_decimal,
)
from .lifecycle import Event, Lifecycle
from .models import Account, Payment, Refund, Split
from .payments import PaymentService
from .splits import brl


def _split_error(description: str) -> ApiError:
    return ApiError(400, "invalid_splitRefunds", description)


class RefundService:
    def __init__(self, payments: PaymentService) -> None:
        self.payments = payments
        self.store = payments.store
        self.clock = payments.clock
        self.lifecycle: Lifecycle = payments.lifecycle

    def refund(self, account: Account, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self.payments.live(account, payment_id)
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
            full = amount == available
            reversals = self._split_refunds(payment, body.get("splitRefunds"), amount, full)
            if payment.credited:
                issuer_part = amount - sum(reversals.values(), Decimal("0"))
                balance = self.store.balance(payment.account_id)
                if balance < issuer_part:
                    raise ApiError(
                        400,
                        "invalid_action",
                        f"Saldo insuficiente para estornar {brl(amount)}: o saldo disponível é "
                        f"{brl(balance)} e as taxas da cobrança não são devolvidas.",
                    )
            moment = self.clock.now()
            refund = Refund(
                date_created=fmt_datetime(moment),
                value=amount,
                description=self.payments.check_description(body.get("description")),
                effective_date=fmt_datetime(moment),
                status="PENDING",
                end_to_end_identifier=f"E{random_digits(8)}{moment:%Y%m%d%H%M}{random_alnum(11)}"
                if payment.billing_type == "PIX"
                else None,
                refunded_splits=[
                    {"id": split_id, "value": value, "done": False}
                    for split_id, value in reversals.items()
                ],
            )
            payment.refunds.append(refund)
            if payment.billing_type != "CREDIT_CARD":
                self.lifecycle.publish(payment, self.complete(payment))
                return payment
            payment.status_before_refund = payment.status
            if payment.status == "CONFIRMED":
                payment.status = "REFUND_IN_PROGRESS"
                self.lifecycle.publish(payment, [("PAYMENT_REFUND_IN_PROGRESS", None)])
                return payment
            payment.status = "REFUND_REQUESTED"
            due = moment + dt.timedelta(seconds=self.store.config.card_refund_seconds)
            payment.refund_due_at = fmt_datetime(due)
            self.store.save()
            return payment

    def _split_refunds(
        self, payment: Payment, raw: Json, amount: Decimal, full: bool
    ) -> dict[str, Decimal]:
        """split id → value to take back; validated against the payment's settled splits."""
        by_id = {split.id: split for split in payment.splits}
        if raw is None:
            if not full:
                return {}
            return {
                s.id: s.total_value - s.refunded_value
                for s in payment.splits
                if s.status == "DONE" and s.total_value > s.refunded_value
            }
        if not isinstance(raw, list):
            raise _split_error("splitRefunds deve ser uma lista de {id, value}.")
        result: dict[str, Decimal] = {}
        for item in raw:
            if not isinstance(item, dict) or not item.get("id") or item.get("value") is None:
                raise _split_error("Cada item de splitRefunds deve informar id e value.")
            split_id = str(item["id"])
            split: Split | None = by_id.get(split_id)
            if split is None:
                raise _split_error(f"O split {split_id} não pertence a esta cobrança.")
            if split_id in result:
                raise _split_error(f"O split {split_id} foi informado mais de uma vez.")
            value = to_decimal(item["value"])
            if value is None or value <= 0:
                raise _split_error("O valor a estornar do split deve ser maior que zero.")
            if split.status != "DONE":
                raise _split_error(
                    f"O split {split_id} ainda não foi liquidado (status {split.status})."
                )
            left = split.total_value - split.refunded_value
            if money(value) > left:
                raise _split_error(
                    f"O valor a estornar do split {split_id} excede o disponível ({brl(left)})."
                )
            result[split_id] = money(value)
        if sum(result.values(), Decimal("0")) > amount:
            raise _split_error("A soma de splitRefunds excede o valor do estorno.")
        return result

    def complete(self, payment: Payment) -> list[Event]:
        """Apply the PENDING refund: money, splits, statuses. Returns the events to emit."""
        refund = next(r for r in payment.refunds if r.status == "PENDING")
        events: list[Event] = []
        by_id = {split.id: split for split in payment.splits}
        for item in refund.refunded_splits:
            split = by_id[str(item["id"])]
            value = to_decimal(item["value"]) or Decimal("0")
            self.lifecycle.reverse_split(payment, split, value)
            item["done"] = True
        self.store.credit(payment.account_id, -refund.value)
        refund.status = "DONE"
        refund.effective_date = fmt_datetime(self.clock.now())
        payment.refund_due_at = None
        if payment.refunded_total >= payment.value:
            payment.status = "REFUNDED"
            cancelled = self.lifecycle.cancel_splits(payment, "PAYMENT_REFUNDED")
            events.append(("PAYMENT_REFUNDED", None))
            events += cancelled
        else:
            payment.status = payment.status_before_refund or payment.status
            events.append(("PAYMENT_PARTIALLY_REFUNDED", None))
        payment.status_before_refund = None
        return events

    def complete_in_progress(self, payment: Payment) -> list[Event]:
        """Credit date of a REFUND_IN_PROGRESS card payment: credit it, then refund."""
        payment.payment_date = payment.credit_date
        payment.status_before_refund = "RECEIVED"
        credit_day = parse_date(payment.credit_date) or self.clock.today()
        self.lifecycle.credit(payment, min(self.clock.now(), start_of(credit_day)))
        events = self.complete(payment)
        if payment.status == "RECEIVED":  # partial refund: the rest was credited
            events.insert(0, ("PAYMENT_RECEIVED", None))
        return events
