"""One way to show money and dates to people (admin, dashboard): ``R$ 1.234,56``, local time."""

from __future__ import annotations

import datetime as dt
import re
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


def format_brl_number(value: Decimal | int | str | None) -> str:
    """The amount of :func:`format_brl` without the currency: ``"1.234,56"`` (edit inputs)."""
    text = format_brl(value)
    return "" if text == "—" else text.replace("R$ ", "")


_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+")
_PLAIN = re.compile(r"\d+(\.\d+)?")


def parse_brl(text: str) -> Decimal:
    """What an operator types for money, read the pt-BR way: ``1.234,56``, ``1234,56``,
    ``R$ 1.234,56``, ``1.234`` (a thousand and two hundred...), and the plain ``1234.56``.

    Raises ``ValueError`` for anything else (``1,2,3``, ``12.34,5.6``, ``abc``).
    """
    cleaned = text.replace("R$", "").replace("\xa0", "").replace(" ", "").strip()
    sign = ""
    if cleaned.startswith("-"):
        sign, cleaned = "-", cleaned[1:]
    if "," in cleaned:
        whole, _, cents = cleaned.partition(",")
        if not (_GROUPED.fullmatch(whole) or whole.isdigit()) or not cents.isdigit():
            raise ValueError(f"not an amount: {text!r}")
        number = f"{whole.replace('.', '')}.{cents}"
    elif _GROUPED.fullmatch(cleaned):
        number = cleaned.replace(".", "")
    elif _PLAIN.fullmatch(cleaned):
        number = cleaned
    else:
        raise ValueError(f"not an amount: {text!r}")
    if not number.replace(".", "").isascii():
        raise ValueError(f"not an amount: {text!r}")
    return Decimal(sign + number)
