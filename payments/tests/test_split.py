"""The split arithmetic: platform share rounded half-up to cents, professional gets the rest."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.services.split import split_compute

CENT = Decimal("0.01")

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2, allow_nan=False
)
percentages = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@given(total=amounts, pct=percentages)
def test_split_always_adds_up_and_rounds_platform_half_up(total: Decimal, pct: Decimal) -> None:
    result = split_compute(total=total, professional_percentage=pct)

    assert result.platform + result.professional == total
    assert result.platform >= 0
    assert result.professional >= 0
    assert result.platform == result.platform.quantize(CENT)
    assert result.professional == result.professional.quantize(CENT)
    assert result.platform.as_tuple().exponent == -2
    assert result.professional.as_tuple().exponent == -2
    expected = (total * (100 - pct) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert result.platform == expected


@pytest.mark.parametrize(
    ("total", "pct", "platform", "professional"),
    [
        ("100.00", "85", "15.00", "85.00"),
        ("33.33", "85", "5.00", "28.33"),  # 4.9995 → 5.00
        ("10.00", "85", "1.50", "8.50"),
        ("0.10", "95", "0.01", "0.09"),  # 0.005 → 0.01 (half-up, not banker's 0.00)
        ("0.30", "95", "0.02", "0.28"),  # 0.015 → 0.02
        ("1.10", "95", "0.06", "1.04"),  # 0.055 → 0.06
        ("100.00", "0", "100.00", "0.00"),
        ("100.00", "100", "0.00", "100.00"),
        ("999999.99", "85.55", "144500.00", "855499.99"),  # 144499.998555 → 144500.00
    ],
)
def test_split_exact_examples(total: str, pct: str, platform: str, professional: str) -> None:
    result = split_compute(total=Decimal(total), professional_percentage=Decimal(pct))

    assert (result.platform, result.professional) == (Decimal(platform), Decimal(professional))


@pytest.mark.parametrize(
    ("total", "pct"),
    [
        ("0", "85"),
        ("0.00", "85"),
        ("-10.00", "85"),
        ("100.00", "-0.01"),
        ("100.00", "100.01"),
        ("100.00", "150"),
    ],
)
def test_split_rejects_invalid_inputs(total: str, pct: str) -> None:
    with pytest.raises(ValueError, match=r"total|percentage"):
        split_compute(total=Decimal(total), professional_percentage=Decimal(pct))
