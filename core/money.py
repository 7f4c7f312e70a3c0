"""Money as a type: an exact `Decimal` amount quantised to its currency.

Rules this module enforces:
- amounts are `Decimal` (or int / numeric str), never `float`: a float raises `TypeError`;
- every amount is quantised to the currency's minor unit with one rounding function,
  `round_money`, whose mode is always explicit;
- arithmetic between two currencies raises; multiplication by a rate is allowed only through
  `Money.times`, which rounds explicitly;
- `split` and `allocate` divide an amount by largest remainder, so the parts always add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from core.errors import ValidationError

MINOR_UNITS: Final[dict[str, int]] = {"TTD": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}
DEFAULT_CURRENCY: Final = "TTD"

HALF_UP: Final = ROUND_HALF_UP
HALF_EVEN: Final = ROUND_HALF_EVEN
DOWN: Final = ROUND_DOWN


_QUANTUM: Final[dict[str, Decimal]] = {
    code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()
}


def exponent(currency: str) -> Decimal:
    """The quantum of a currency: Decimal('0.01') for TTD."""
    try:
        return _QUANTUM[currency]
    except KeyError:
        raise ValidationError(f"Unknown currency {currency!r}.") from None


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse an exact amount. Floats are refused: they cannot represent cents exactly."""
    if isinstance(value, float):
        raise TypeError("Money never comes from a float; pass a Decimal, int or string.")
    if isinstance(value, bool):
        raise TypeError("A boolean is not an amount.")
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value).strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not an amount.") from None
    if not result.is_finite():
        raise ValidationError(f"{value!r} is not an amount.")
    return result


def round_money(value: Decimal, currency: str, *, mode: str) -> Decimal:
    """The one rounding function: quantise `value` to `currency` with an explicit mode."""
    return value.quantize(exponent(currency), rounding=mode)


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount in one currency. Construct with `Money.of("12.50")`."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal; use Money.of().")
        quantised = self.amount.quantize(exponent(self.currency))
        if quantised != self.amount:
            raise ValidationError(
                f"{self.amount} has more precision than {self.currency} allows; round it first."
            )
        object.__setattr__(self, "amount", quantised)

    @classmethod
    def of(cls, value: Decimal | int | str, currency: str = DEFAULT_CURRENCY) -> Money:
        """Exact construction: refuses a value with more decimals than the currency has."""
        return cls(to_decimal(value), currency)

    @classmethod
    def rounded(
        cls, value: Decimal | int | str, currency: str = DEFAULT_CURRENCY, *, mode: str = HALF_UP
    ) -> Money:
        """Construction that rounds `value` to the currency with an explicit mode."""
        return cls(round_money(to_decimal(value), currency, mode=mode), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise ValidationError(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def times(self, factor: Decimal | int, *, mode: str = HALF_UP) -> Money:
        """Multiply by an exact factor (a rate, a count) and round explicitly."""
        if isinstance(factor, float):
            raise TypeError("Multiply money by a Decimal, never a float.")
        return Money(round_money(self.amount * factor, self.currency, mode=mode), self.currency)

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def split(self, parts: int) -> list[Money]:
        """Divide into `parts` near-equal amounts that add up exactly (largest remainder)."""
        if parts <= 0:
            raise ValidationError("Cannot split into zero or fewer parts.")
        quantum = exponent(self.currency)
        units = int(self.amount / quantum)
        base, extra = divmod(abs(units), parts)
        sign = -1 if units < 0 else 1
        small = Money(sign * base * quantum, self.currency)
        large = Money(sign * (base + 1) * quantum, self.currency)
        return [large] * extra + [small] * (parts - extra)

    def allocate(self, weights: Sequence[Decimal | int]) -> list[Money]:
        """Divide in proportion to `weights` by largest remainder; the parts sum to self."""
        if any(isinstance(w, float) for w in weights):
            raise TypeError("Allocation weights must be Decimal or int.")
        total_weight = sum((Decimal(w) for w in weights), Decimal(0))
        if not weights or total_weight <= 0 or any(Decimal(w) < 0 for w in weights):
            raise ValidationError("Allocation needs non-negative weights with a positive sum.")
        quantum = exponent(self.currency)
        units = int((self.amount / quantum).to_integral_value())
        sign = -1 if units < 0 else 1
        units = abs(units)
        exact = [Decimal(units) * Decimal(w) / total_weight for w in weights]
        floors = [int(e) for e in exact]
        remainder = units - sum(floors)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:remainder]:
            floors[i] += 1
        return [Money(sign * Decimal(f) * quantum, self.currency) for f in floors]

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{MINOR_UNITS[self.currency]}f}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"


def total(amounts: Sequence[Money], currency: str = DEFAULT_CURRENCY) -> Money:
    """Sum of amounts in one currency (zero for an empty sequence)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
