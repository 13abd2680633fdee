"""Template filters: ``{{ value|brl }}`` (``R$ 1.234,56``) and ``{{ iso|br_datetime }}``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from core.formatting import format_brl, format_local_datetime

register = template.Library()


@register.filter
def brl(value: Decimal | int | str | None) -> str:
    return format_brl(value)


@register.filter
def br_datetime(value: str | dt.date | None) -> str:
    """An ISO date (``2025-07-15`` → ``15/07/2025``) or datetime (local ``15/07/2025 14:30``)."""
    if not value:
        return "—"
    parsed: dt.date
    if isinstance(value, str):
        try:
            parsed = (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
    else:
        parsed = value
    if isinstance(parsed, dt.datetime):
        if parsed.tzinfo is None:  # a raw value read from SQLite: the database keeps UTC
            parsed = parsed.replace(tzinfo=dt.UTC)
        return format_local_datetime(parsed)
    return parsed.strftime("%d/%m/%Y")
