"""Money and split movements shared by payments, refunds, chargebacks and the scheduler.

Balances (per account, ``Store.balances``):

* a payment is *credited* when it becomes RECEIVED (Pix/boleto at confirmation, card on its
  credit date): the issuer's balance grows by ``netValue``; its splits are AWAITING_CREDIT;
* ``split_settlement_delay_seconds`` later (emulator clock) each AWAITING_CREDIT split
  settles: DONE, ``creditDate`` = that day, its ``totalValue`` moves from the issuer's balance
  to the receiver's, event ``PAYMENT_SPLIT_DONE`` with ``additionalInfo.splitId``;
* a split cancelled before it settles (refund, receive in cash) becomes CANCELLED with a
  ``cancellationReason`` and emits ``PAYMENT_SPLIT_CANCELLED`` (``additionalInfo.splitId``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .common import JsonObject, fmt_datetime, parse_datetime, start_of
from .models import Payment, Split
from .state import Store

Event = tuple[str, JsonObject | None]
Events = list[Event]


class Lifecycle:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.config = store.config
        self.clock = store.clock

    # --- events --------------------------------------------------------------------------

    def publish(self, payment: Payment, events: list[Event]) -> None:
        """Save once, then emit the events in order (payloads show the final state)."""
        self.store.save()
        for name, extra in events:
            self.store.emit(name, payment, extra)

    @staticmethod
    def split_event(name: str, split: Split) -> Event:
        return name, {"additionalInfo": {"splitId": split.id}}

    # --- credit and settlement ---------------------------------------------------------------

    def mark_awaiting_credit(self, payment: Payment) -> None:
        for split in payment.splits:
            if split.status == "PENDING":
                split.status = "AWAITING_CREDIT"

    def credit(self, payment: Payment, moment: dt.datetime) -> None:
        """The net value reaches the issuer; splits wait ``split_settlement_delay_seconds``."""
        if not payment.credited:
            payment.credited = True
            self.store.credit(payment.account_id, payment.net_value)
        self.mark_awaiting_credit(payment)
        credit_day = dt.date.fromisoformat(payment.credit_date or moment.date().isoformat())
        start = max(moment, start_of(credit_day))
        delay = dt.timedelta(seconds=self.config.split_settlement_delay_seconds)
        payment.split_settle_at = fmt_datetime(start + delay)

    def split_due(self, payment: Payment, moment: dt.datetime) -> bool:
        due = parse_datetime(payment.split_settle_at)
        waiting = any(s.status == "AWAITING_CREDIT" for s in payment.splits)
        return waiting and payment.status == "RECEIVED" and due is not None and due <= moment

    def settle_splits(self, payment: Payment) -> list[Event]:
        events: list[Event] = []
        day = self.clock.today().isoformat()
        for split in payment.splits:
            if split.status != "AWAITING_CREDIT":
                continue
            split.status, split.credit_date = "DONE", day
            self.store.credit(payment.account_id, -split.total_value)
            receiver = self.store.account_by_wallet(split.wallet_id)
            if receiver is not None:
                self.store.credit(receiver.id, split.total_value)
            events.append(self.split_event("PAYMENT_SPLIT_DONE", split))
        payment.split_settle_at = None
        return events

    def cancel_splits(self, payment: Payment, reason: str) -> list[Event]:
        events: list[Event] = []
        for split in payment.splits:
            if split.status in ("PENDING", "AWAITING_CREDIT"):
                split.status, split.cancellation_reason = "CANCELLED", reason
                events.append(self.split_event("PAYMENT_SPLIT_CANCELLED", split))
        payment.split_settle_at = None
        return events

    def reverse_split(self, payment: Payment, split: Split, value: Decimal) -> None:
        """Take ``value`` back from the receiver (a settled split refunded with the charge)."""
        receiver = self.store.account_by_wallet(split.wallet_id)
        if receiver is not None:
            self.store.credit(receiver.id, -value)
        self.store.credit(payment.account_id, value)
        split.refunded_value += value
        if split.refunded_value >= split.total_value:
            split.status = "REFUNDED"
