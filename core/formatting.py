"""One way to show money and dates to people (admin, dashboard): ``R$ 1.234,56``, local time."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

CENT = Decimal("0.01")


def format_brl(value: Decimal | int | str | None) -> str:
    """``Decimal("1234.5")`` → ``"R$ 1.234,50"``; ``None`` → ``"—"``; negatives ``-R$ 1,00``."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return "—"
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{sign}R$ {groups},{cents}"


def format_local_datetime(value: dt.datetime) -> str:
    """``15/07/2025 14:30`` in the display time zone (America/Sao_Paulo)."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
