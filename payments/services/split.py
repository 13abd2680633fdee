"""How a charge is divided between the professional and the platform."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class SplitAmounts:
    platform: Decimal
    professional: Decimal


def split_compute(*, total: Decimal, professional_percentage: Decimal) -> SplitAmounts:
    """Platform share = total × (100 − pct) / 100 rounded half-up to cents; the professional
    gets the rest, so the two always add up to ``total`` exactly."""
    if total <= 0:
        raise ValueError("total must be positive")
    if not Decimal("0") <= professional_percentage <= HUNDRED:
        raise ValueError("professional_percentage must be between 0 and 100")
    total = total.quantize(CENT, rounding=ROUND_HALF_UP)
    platform = (total * (HUNDRED - professional_percentage) / HUNDRED).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return SplitAmounts(platform=platform, professional=total - platform)
