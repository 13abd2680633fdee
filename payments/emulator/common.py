"""Shared helpers of the emulator: JSON with Decimal money, Brazil-time clock, ids, errors."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeAlias

Json: TypeAlias = bool | int | float | str | Decimal | list["Json"] | dict[str, "Json"] | None
JsonObject = dict[str, Json]

CENT = Decimal("0.01")
BRT = dt.timezone(dt.timedelta(hours=-3), "BRT")  # Brazil has had no DST since 2019
_ALNUM = string.ascii_lowercase + string.digits


class ApiError(Exception):
    """An error answered in Asaas's shape: {"errors": [{"code", "description"}]}."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> JsonObject:
        return {"errors": [{"code": self.code, "description": self.description}]}


def not_found() -> ApiError:
    return ApiError(404, "not_found", "O recurso solicitado não foi encontrado.")


def invalid(field: str, description: str) -> ApiError:
    return ApiError(400, f"invalid_{field}", description)


# --- money -------------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Json) -> Decimal | None:
    """Decimal from a JSON number or numeric string; None when not a finite number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None


# --- JSON --------------------------------------------------------------------------------


def _format_decimal(value: Decimal) -> str:
    if not value.is_finite():
        return "null"
    return format(value, "f")


def _encode(value: Json) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return _format_decimal(value)
    if isinstance(value, (int, float, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    items = (
        json.dumps(key, ensure_ascii=False) + ":" + _encode(item) for key, item in value.items()
    )
    return "{" + ",".join(items) + "}"


def dumps(value: Json) -> str:
    """JSON text; Decimals are written as numbers straight from their digits (no float)."""
    return _encode(value)


def loads(text: str | bytes) -> Json:
    """Parse JSON keeping fractional numbers as Decimal."""
    result: Json = json.loads(text, parse_float=Decimal)
    return result


# --- clock ---------------------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(BRT)


def today() -> dt.date:
    return now().date()


def fmt_datetime(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def parse_date(value: Json) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_datetime(value: Json) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` / ISO 8601 / a bare date (midnight); naive means Brazil time."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BRT)


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=BRT)


def business_day_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def next_business_day(day: dt.date) -> dt.date:
    return business_day_on_or_after(day + dt.timedelta(days=1))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- ids -----------------------------------------------------------------------------------


def random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def random_digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))
