"""``{{ value|brl }}``: money as ``R$ 1.234,56`` in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

from core.formatting import format_brl

register = template.Library()


@register.filter
def brl(value: Decimal | int | str | None) -> str:
    return format_brl(value)
