"""Time-driven changes, applied by ``Scheduler.tick()`` on every request, every
``clock_tick_seconds`` in the background, and right after ``/_emulator/clock`` moves time.

Per payment (oldest first), in this order:

1. PENDING and ``dueDate`` < today → OVERDUE, ``PAYMENT_OVERDUE``;
2. CONFIRMED card and ``creditDate`` ≤ today → RECEIVED (``paymentDate`` = ``creditDate``),
   ``PAYMENT_RECEIVED``; the net value is credited and the split wait starts;
3. REFUND_IN_PROGRESS and ``creditDate`` ≤ today → credited, then refunded (see refunds.py);
4. REFUND_REQUESTED and its refund time reached → refund completed (see refunds.py);
5. RECEIVED with AWAITING_CREDIT splits whose settlement time is reached → DONE,
   ``PAYMENT_SPLIT_DONE`` per split.
"""

from __future__ import annotations

from .common import parse_date, parse_datetime
from .lifecycle import Event
from .payments import PaymentService
from .refunds import RefundService


class Scheduler:
    def __init__(self, payments: PaymentService, refunds: RefundService) -> None:
        self.payments = payments
        self.refunds = refunds
        self.store = payments.store
        self.lifecycle = payments.lifecycle

    def tick(self) -> list[str]:
        """Apply everything that is due; returns the names of the events emitted."""
        emitted: list[str] = []
        with self.store.lock:
            moment = self.store.clock.now()
            today = moment.date()
            for payment in sorted(self.store.payments.values(), key=lambda p: p.seq):
                if payment.deleted:
                    continue
                events: list[Event] = []
                due = parse_date(payment.due_date)
                credit = parse_date(payment.credit_date)
                if payment.status == "PENDING" and due is not None and due < today:
                    payment.status = "OVERDUE"
                    events.append(("PAYMENT_OVERDUE", None))
                card_due = credit is not None and credit <= today
                if payment.status == "CONFIRMED" and card_due:
                    events += self.payments.credit_card_payment(payment)
                elif payment.status == "REFUND_IN_PROGRESS" and card_due:
                    events += self.refunds.complete_in_progress(payment)
                refund_at = parse_datetime(payment.refund_due_at)
                if payment.status == "REFUND_REQUESTED" and refund_at and refund_at <= moment:
                    events += self.refunds.complete(payment)
                if self.lifecycle.split_due(payment, moment):
                    events += self.lifecycle.settle_splits(payment)
                if events:
                    self.lifecycle.publish(payment, events)
                    emitted += [name for name, _ in events]
        return emitted
