"""Chargebacks, driven by control calls (a cardholder's dispute cannot be caused by the API).

State machine (payment status / ``chargeback.status`` / ``chargeback.disputeStatus`` / event):

=============================  ==============================  =====================================
control call                   payment / chargeback            webhook
=============================  ==============================  =====================================
``open`` (RECEIVED/CONFIRMED)  CHARGEBACK_REQUESTED / REQUESTED PAYMENT_CHARGEBACK_REQUESTED
``dispute``                    CHARGEBACK_DISPUTE / IN_DISPUTE, PAYMENT_CHARGEBACK_DISPUTE
                               disputeStatus REQUESTED
``resolve`` WON                AWAITING_CHARGEBACK_REVERSAL,   PAYMENT_AWAITING_CHARGEBACK_REVERSAL
                               disputeStatus ACCEPTED
``reversal`` (after WON)       status before the chargeback /  PAYMENT_RECEIVED (or _CONFIRMED)
                               REVERSED
``resolve`` LOST               unchanged / DISPUTE_LOST (DONE  none (Asaas's enum has no event)
                               when never disputed), REJECTED
=============================  ==============================  =====================================

Money: opening debits the chargeback value from the issuer when the payment was credited;
a reversal gives it back. Field names and enums follow Asaas's ``PaymentChargebackResponseDTO``;
the transitions after ``open`` and the money rules are guesses (no public capture).
"""

from __future__ import annotations

import datetime as dt

from .common import ApiError, JsonObject, random_alnum
from .lifecycle import Lifecycle
from .models import Payment
from .payments import PaymentService

REASONS = (
    "ABSENCE_OF_PRINT", "ABSENT_CARD_FRAUD", "CARD_ACTIVATED_PHONE_TRANSACTION", "CARD_FRAUD",
    "CARD_RECOVERY_BULLETIN", "COMMERCIAL_DISAGREEMENT", "COPY_NOT_RECEIVED",
    "CREDIT_OR_DEBIT_PRESENTATION_ERROR", "DIFFERENT_PAY_METHOD", "FRAUD",
    "INCORRECT_TRANSACTION_VALUE", "INVALID_CURRENCY", "INVALID_DATA", "LATE_PRESENTATION",
    "LOCAL_REGULATORY_OR_LEGAL_DISPUTE", "MULTIPLE_ROCS",
    "ORIGINAL_CREDIT_TRANSACTION_NOT_ACCEPTED",
    "OTHER_ABSENT_CARD_FRAUD", "PROCESS_ERROR", "RECEIVED_COPY_ILLEGIBLE_OR_INCOMPLETE",
    "RECURRENCE_CANCELED", "REQUIRED_AUTHORIZATION_NOT_GRANTED",
    "RIGHT_OF_FULL_RECOURSE_FOR_FRAUD", "SALE_CANCELED",
    "SERVICE_DISAGREEMENT_OR_DEFECTIVE_PRODUCT",
    "SERVICE_NOT_RECEIVED", "SPLIT_SALE", "TRANSFERS_OF_DIVERSE_RESPONSIBILITIES",
    "UNQUALIFIED_CAR_RENTAL_DEBIT", "USA_CARDHOLDER_DISPUTE", "VISA_FRAUD_MONITORING_PROGRAM",
    "WARNING_BULLETIN_FILE",
)  # fmt: skip
DISPUTE_DOCUMENTS_DAYS = 10  # guess


def _wrong_state(payment: Payment, expected: str) -> ApiError:
    return ApiError(
        400,
        "invalid_action",
        f"Ação indisponível: a cobrança está {payment.status}; esperado {expected}.",
    )


class ChargebackService:
    def __init__(self, payments: PaymentService) -> None:
        self.payments = payments
        self.store = payments.store
        self.lifecycle: Lifecycle = payments.lifecycle

    def _chargeback(self, payment: Payment) -> JsonObject:
        assert payment.chargeback is not None
        return payment.chargeback

    def open(self, payment_id: str, body: JsonObject) -> Payment:
        with self.store.lock:
            payment = self.payments.get_any(payment_id)
            if payment.deleted or payment.status not in ("RECEIVED", "CONFIRMED"):
                raise _wrong_state(payment, "RECEIVED ou CONFIRMED")
            reason = str(body.get("reason") or "ABSENT_CARD_FRAUD")
            if reason not in REASONS:
                raise ApiError(400, "invalid_reason", f"Motivo de chargeback inválido: {reason}.")
            today = self.store.clock.today()
            card = payment.credit_card or {}
            deadline = today + dt.timedelta(days=DISPUTE_DOCUMENTS_DAYS)
            payment.chargeback = {
                "id": f"chb_{random_alnum(16)}",
                "payment": payment.id,
                "installment": None,
                "customerAccount": payment.customer_id,
                "status": "REQUESTED",
                "reason": reason,
                "disputeStartDate": today.isoformat(),
                "value": payment.value,
                "paymentDate": payment.payment_date or payment.confirmed_date,
                "creditCard": {
                    "number": card.get("creditCardNumber"),
                    "brand": card.get("creditCardBrand"),
                }
                if card
                else None,
                "disputeStatus": None,
                "deadlineToSendDisputeDocuments": deadline.isoformat(),
            }
            payment.status_before_chargeback = payment.status
            payment.status = "CHARGEBACK_REQUESTED"
            if payment.credited:
                self.store.credit(payment.account_id, -payment.value)
            self.lifecycle.publish(payment, [("PAYMENT_CHARGEBACK_REQUESTED", None)])
            return payment

    def dispute(self, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.payments.get_any(payment_id)
            if payment.status != "CHARGEBACK_REQUESTED":
                raise _wrong_state(payment, "CHARGEBACK_REQUESTED")
            chargeback = self._chargeback(payment)
            chargeback["status"], chargeback["disputeStatus"] = "IN_DISPUTE", "REQUESTED"
            payment.status = "CHARGEBACK_DISPUTE"
            self.lifecycle.publish(payment, [("PAYMENT_CHARGEBACK_DISPUTE", None)])
            return payment

    def resolve(self, payment_id: str, body: JsonObject) -> Payment:
        result = str(body.get("result") or "").upper()
        if result not in ("WON", "LOST"):
            raise ApiError(400, "invalid_result", 'Informe "result": "WON" ou "LOST".')
        with self.store.lock:
            payment = self.payments.get_any(payment_id)
            if result == "WON":
                if payment.status != "CHARGEBACK_DISPUTE":
                    raise _wrong_state(payment, "CHARGEBACK_DISPUTE")
                self._chargeback(payment)["disputeStatus"] = "ACCEPTED"
                payment.status = "AWAITING_CHARGEBACK_REVERSAL"
                self.lifecycle.publish(payment, [("PAYMENT_AWAITING_CHARGEBACK_REVERSAL", None)])
                return payment
            if payment.status not in ("CHARGEBACK_REQUESTED", "CHARGEBACK_DISPUTE"):
                raise _wrong_state(payment, "CHARGEBACK_REQUESTED ou CHARGEBACK_DISPUTE")
            chargeback = self._chargeback(payment)
            if payment.status == "CHARGEBACK_DISPUTE":
                chargeback["status"], chargeback["disputeStatus"] = "DISPUTE_LOST", "REJECTED"
            else:
                chargeback["status"] = "DONE"
            self.lifecycle.publish(payment, [])
            return payment

    def reversal(self, payment_id: str) -> Payment:
        with self.store.lock:
            payment = self.payments.get_any(payment_id)
            if payment.status != "AWAITING_CHARGEBACK_REVERSAL":
                raise _wrong_state(payment, "AWAITING_CHARGEBACK_REVERSAL")
            self._chargeback(payment)["status"] = "REVERSED"
            payment.status = payment.status_before_chargeback or "RECEIVED"
            payment.status_before_chargeback = None
            if payment.credited:
                self.store.credit(payment.account_id, payment.value)
            event = "PAYMENT_CONFIRMED" if payment.status == "CONFIRMED" else "PAYMENT_RECEIVED"
            self.lifecycle.publish(payment, [(event, None)])
            return payment
