"""Money: exact construction, explicit rounding, splits that add up, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.money import DOWN, HALF_EVEN, HALF_UP, Money, round_money, total


def test_construction_is_exact_and_refuses_floats_and_extra_precision() -> None:
    assert Money.of("1,234.50").amount == Decimal("1234.50")
    assert str(Money.of(5000)) == "TTD 5,000.00"
    with pytest.raises(TypeError, match="float"):
        Money.of(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="more precision"):
        Money.of("10.005")
    with pytest.raises(ValidationError, match="not an amount"):
        Money.of("ten dollars")
    with pytest.raises(ValidationError, match="not an amount"):
        Money.of("NaN")
    with pytest.raises(ValidationError, match="Unknown currency"):
        Money.of("1", "XYZ")


def test_rounding_mode_is_explicit() -> None:
    assert round_money(Decimal("2.345"), "TTD", mode=HALF_UP) == Decimal("2.35")
    assert round_money(Decimal("2.345"), "TTD", mode=HALF_EVEN) == Decimal("2.34")
    assert round_money(Decimal("2.349"), "TTD", mode=DOWN) == Decimal("2.34")
    assert Money.rounded("2.345").amount == Decimal("2.35")
    assert Money.of("100.00").times(Decimal("0.015")) == Money.of("1.50")


def test_currencies_never_mix() -> None:
    with pytest.raises(ValidationError, match="Cannot combine TTD with USD"):
        Money.of(1) + Money.of(1, "USD")


def test_split_and_allocate_by_largest_remainder() -> None:
    assert Money.of("100.00").split(3) == [Money.of("33.34"), Money.of("33.33"), Money.of("33.33")]
    assert Money.of("-0.05").split(2) == [Money.of("-0.03"), Money.of("-0.02")]
    assert Money.of("100.00").allocate([1, 1, 1]) == Money.of("100.00").split(3)
    assert Money.of("10.00").allocate([Decimal("0.7"), Decimal("0.2"), Decimal("0.1")]) == [
        Money.of("7.00"),
        Money.of("2.00"),
        Money.of("1.00"),
    ]
    assert Money.of("0.05").allocate([1, 1, 1]) == [
        Money.of("0.02"),
        Money.of("0.02"),
        Money.of("0.01"),
    ]
    with pytest.raises(ValidationError):
        Money.of("1").split(0)
    with pytest.raises(ValidationError):
        Money.of("1").allocate([0, 0])


@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocation_always_adds_up(cents: int, weights: list[int]) -> None:
    amount = Money(Decimal(cents) / 100)
    parts = amount.allocate(weights)
    assert total(parts) == amount
    assert len(parts) == len(weights)
    if cents >= 0:
        assert all(p.amount >= 0 for p in parts)
    split = amount.split(len(weights))
    assert total(split) == amount
    assert max(split).amount - min(split).amount <= Decimal("0.01")
