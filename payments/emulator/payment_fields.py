"""Request-field helpers of payments: discount/fine/interest objects and list filters."""

from __future__ import annotations

from decimal import Decimal

from .common import Json, JsonObject, parse_date, to_decimal
from .models import Payment


def discount_object(raw: Json) -> JsonObject:
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


def charge_object(raw: Json, default_type: str) -> JsonObject:
    body: JsonObject = {"value": Decimal(0), "type": default_type}
    if isinstance(raw, dict):
        body["value"] = to_decimal(raw.get("value")) or Decimal(0)
        if raw.get("type") in ("FIXED", "PERCENTAGE"):
            body["type"] = raw["type"]
    return body


def matches(payment: Payment, query: dict[str, str]) -> bool:
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
