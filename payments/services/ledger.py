"""Writing PaymentTransaction rows (the append-only record of every exchange with Asaas)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from appointments.models import Appointment
from core.observability.request_id import request_id_get
from payments.models import (
    Charge,
    PaymentTransaction,
    TransactionStatus,
    TransactionType,
    WebhookEvent,
)
from payments.services.asaas_service import AsaasError, AsaasExchange, scrub_payload


def transaction_record(
    *,
    appointment: Appointment,
    transaction_type: str,
    succeeded: bool,
    amount: Decimal | None = None,
    asaas_payment_id: str = "",
    exchange: AsaasExchange | None = None,
    error: AsaasError | Exception | None = None,
    webhook_event: WebhookEvent | None = None,
    request_payload: Any = None,
    response_payload: Any = None,
) -> PaymentTransaction:
    if exchange is None and isinstance(error, AsaasError):
        exchange = error.exchange
    if exchange is not None:
        request_payload = exchange.request
        response_payload = exchange.response
    return PaymentTransaction.objects.create(
        appointment=appointment,
        professional_id=appointment.professional_id,
        transaction_type=transaction_type,
        status=TransactionStatus.SUCCESS if succeeded else TransactionStatus.FAILED,
        amount=amount,
        asaas_payment_id=asaas_payment_id or appointment.asaas_payment_id or "",
        webhook_event=webhook_event,
        request_payload=scrub_payload(request_payload),
        response_payload=scrub_payload(response_payload),
        error_message=str(error) if error else "",
        request_id=request_id_get(),
    )


def cancellation_record(
    *, appointment: Appointment, charge: Charge, exchange: AsaasExchange | None = None
) -> PaymentTransaction:
    """The CANCELLATION row of a DELETE of ours that Asaas accepted: written by the
    ``CANCEL_REQUESTED`` transition, or by ``charge_cancel`` when Asaas's webhook cancelled the
    charge here first and that transition can no longer run."""
    return transaction_record(
        appointment=appointment,
        transaction_type=TransactionType.CANCELLATION,
        succeeded=True,
        amount=charge.value or appointment.total_amount,
        asaas_payment_id=charge.asaas_payment_id or "",
        exchange=exchange,
    )
