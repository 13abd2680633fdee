"""What of an Asaas webhook is stored: an allowlist of the fields the product needs.

Everything else — ``customerName``, e-mails, documents, addresses, card data, fields Asaas adds
tomorrow — is dropped before the event is saved, so no personal data reaches the database by
way of a webhook. Strings are cut at ``MAX_STRING``; lists at ``MAX_ITEMS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAX_STRING = 500
MAX_ITEMS = 50

REFUND_FIELDS = frozenset(
    {"id", "status", "value", "dateCreated", "refundDate", "endToEndIdentifier"}
)
SPLIT_FIELDS = frozenset(
    {"id", "walletId", "fixedValue", "percentualValue", "totalValue", "status", "refusalReason"}
)
CHARGEBACK_FIELDS = frozenset({"status", "reason"})
PAYMENT_FIELDS = frozenset(
    {
        "object",
        "id",
        "dateCreated",
        "customer",  # Asaas' opaque customer id (cus_...), not the person's data
        "subscription",
        "installment",
        "value",
        "netValue",
        "originalValue",
        "interestValue",
        "billingType",
        "status",
        "dueDate",
        "originalDueDate",
        "paymentDate",
        "clientPaymentDate",
        "confirmedDate",
        "creditDate",
        "estimatedCreditDate",
        "invoiceUrl",
        "invoiceNumber",
        "externalReference",
        "deleted",
        "anticipated",
        "anticipable",
        "refunds",
        "split",
        "chargeback",
    }
)
EVENT_FIELDS = frozenset({"id", "event", "dateCreated", "payment"})
NESTED = {"refunds": REFUND_FIELDS, "split": SPLIT_FIELDS}


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_STRING]
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    return None  # objects or lists where a scalar was expected


def _pick(obj: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {key: _scalar(obj[key]) for key in fields if key in obj}


def webhook_payload_scrub(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The allowlisted part of a webhook body (see the module docstring)."""
    kept = _pick(payload, EVENT_FIELDS - {"payment"})
    payment = payload.get("payment")
    if isinstance(payment, Mapping):
        scalar_fields = PAYMENT_FIELDS - {*NESTED, "chargeback"}
        clean = _pick(payment, scalar_fields)
        for key, fields in NESTED.items():
            items = payment.get(key)
            if isinstance(items, list):
                clean[key] = [
                    _pick(item, fields) for item in items[:MAX_ITEMS] if isinstance(item, Mapping)
                ]
        chargeback = payment.get("chargeback")
        if isinstance(chargeback, Mapping):
            clean["chargeback"] = _pick(chargeback, CHARGEBACK_FIELDS)
        kept["payment"] = clean
    return kept
