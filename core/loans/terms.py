"""What a repayment schedule is built from: `LoanTerms` and its enums.

`LoanTerms` is immutable and validated on construction: anything it accepts, `build_schedule`
can schedule. Enum fields also accept their string values ("monthly", "flat", ...).

Grace, both counted from the first instalment:
- principal grace `P`: instalments 1..P repay no principal (interest only);
- interest grace `I`: instalments 1..I pay nothing at all; the interest that accrues in them
  is capitalised, i.e. added to the balance on each due date (so it earns interest after).
  An instalment that defers interest cannot repay principal either, so interest grace
  implies principal grace: the first max(P, I) instalments repay no principal.
  Under FLAT interest nothing is capitalised: the flat interest is spread over the
  instalments after the interest grace instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from core.errors import ValidationError
from core.loans.calendar import DayCount, Frequency, step
from core.money import Money, exponent

__all__ = [
    "MAX_ANNUAL_RATE",
    "MAX_TERM",
    "DayCount",
    "Frequency",
    "InterestCalculation",
    "InterestMethod",
    "LoanTerms",
]

MAX_TERM: Final = 600
"""Most instalments a schedule may have (50 years monthly)."""

MAX_ANNUAL_RATE: Final = Decimal(10)
"""A nominal rate above 1000% a year is almost surely a percentage passed as a fraction."""


class InterestMethod(StrEnum):
    """How principal and interest are spread over the instalments."""

    DECLINING_EQUAL_INSTALMENT = "declining_equal_instalment"
    """Annuity: equal instalments, interest on the declining balance."""
    DECLINING_EQUAL_PRINCIPAL = "declining_equal_principal"
    """Equal principal parts, interest on the declining balance."""
    FLAT = "flat"
    """Interest on the original amount for the whole term, spread evenly."""


class InterestCalculation(StrEnum):
    """How one period's interest is worked out."""

    PER_PERIOD = "per_period"
    """The nominal annual rate divided by the periods per year (12, 26 or 52)."""
    DAILY = "daily"
    """The nominal annual rate times the day-count year fraction between due dates."""


_E = TypeVar("_E", bound=StrEnum)


def _as_enum(kind: type[_E], value: object, label: str) -> _E:
    if isinstance(value, kind):
        return value
    allowed = ", ".join(member.value for member in kind)
    problem = ValidationError(f"{value!r} is not {label}; use one of: {allowed}.")
    if not isinstance(value, str):
        raise problem
    try:
        return kind(value)
    except ValueError:
        raise problem from None


def _count(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"The {label} must be a whole number.")
    return value


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanTerms:
    """Everything `build_schedule` needs. Construction validates; see the module docstring.

    - `principal`: the amount disbursed to the borrower, positive.
    - `annual_rate`: nominal annual rate as a fraction, `Decimal("0.12")` for 12%; ≥ 0.
    - `term`: number of instalments, 1 to `MAX_TERM`.
    - `first_due_date`: defaults to one period after `start_date`; when given it must be
      after `start_date` and no more than two periods after it.
    - `day_count`: used by DAILY interest (and ignored by PER_PERIOD).
    - `rounding_multiple`: when set, regular instalments are rounded UP to a multiple of it
      (e.g. `Decimal("1")` for whole units); the last instalment takes what is left.
    - `financed_fees`: fees added to the amount financed (they earn interest), ≥ 0.
    """

    principal: Money
    annual_rate: Decimal
    term: int
    start_date: date
    frequency: Frequency = Frequency.MONTHLY
    method: InterestMethod = InterestMethod.DECLINING_EQUAL_INSTALMENT
    calculation: InterestCalculation = InterestCalculation.PER_PERIOD
    day_count: DayCount = DayCount.ACT_365
    first_due_date: date | None = None
    principal_grace: int = 0
    interest_grace: int = 0
    rounding_multiple: Decimal | None = None
    financed_fees: Money | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "frequency", _as_enum(Frequency, self.frequency, "a repayment frequency"))
        put(self, "method", _as_enum(InterestMethod, self.method, "an interest method"))
        put(
            self,
            "calculation",
            _as_enum(InterestCalculation, self.calculation, "an interest calculation"),
        )
        put(self, "day_count", _as_enum(DayCount, self.day_count, "a day-count convention"))
        self._check_amounts()
        self._check_counts()
        self._check_dates()

    def _check_amounts(self) -> None:
        if not isinstance(self.principal, Money):
            raise ValidationError("The principal must be a Money amount.")
        if not self.principal.is_positive():
            raise ValidationError(f"The principal must be more than zero, not {self.principal}.")
        rate = self.annual_rate
        if not isinstance(rate, Decimal) or not rate.is_finite():
            raise ValidationError("The interest rate must be an exact Decimal, e.g. 0.12.")
        if rate < 0:
            raise ValidationError(f"The interest rate cannot be negative ({rate}).")
        if rate > MAX_ANNUAL_RATE:
            raise ValidationError(
                f"An annual rate of {rate} means {rate * 100}%; pass 0.12 for 12%."
            )
        fees = self.financed_fees
        if fees is not None:
            if not isinstance(fees, Money) or fees.currency != self.principal.currency:
                raise ValidationError(f"Financed fees must be Money in {self.principal.currency}.")
            if fees.is_negative():
                raise ValidationError(f"Financed fees cannot be negative ({fees}).")
        multiple = self.rounding_multiple
        if multiple is not None:
            if not isinstance(multiple, Decimal) or not multiple.is_finite() or multiple <= 0:
                raise ValidationError("The rounding multiple must be a positive Decimal.")
            if multiple % exponent(self.principal.currency) != 0:
                raise ValidationError(
                    f"The rounding multiple {multiple} is finer than "
                    f"{self.principal.currency} allows."
                )

    def _check_counts(self) -> None:
        term = _count(self.term, "term")
        if not 1 <= term <= MAX_TERM:
            raise ValidationError(
                f"The term must be between 1 and {MAX_TERM} instalments, not {term}."
            )
        graces = {"principal": self.principal_grace, "interest": self.interest_grace}
        for label, value in graces.items():
            grace = _count(value, f"{label} grace")
            if grace < 0:
                raise ValidationError(f"The {label} grace cannot be negative ({grace}).")
            if grace >= term:
                raise ValidationError(
                    f"The {label} grace ({grace}) must be shorter than the term ({term}): "
                    "at least one instalment has to repay principal."
                )

    def _check_dates(self) -> None:
        if not _is_date(self.start_date):
            raise ValidationError("The start date must be a calendar date.")
        first = self.first_due_date
        if first is None:
            return
        if not _is_date(first):
            raise ValidationError("The first due date must be a calendar date.")
        if first <= self.start_date:
            raise ValidationError(
                f"The first due date ({first}) must be after the start date ({self.start_date})."
            )
        latest = step(self.start_date, self.frequency, 2)
        if first > latest:
            raise ValidationError(
                f"The first due date ({first}) is more than two periods after the start date "
                f"({self.start_date}); the latest allowed is {latest}. Use a grace period."
            )

    @property
    def currency(self) -> str:
        """The currency of every amount in the schedule."""
        return self.principal.currency

    @property
    def financed_amount(self) -> Money:
        """Principal plus financed fees: the opening balance of the schedule."""
        if self.financed_fees is None:
            return self.principal
        return self.principal + self.financed_fees

    @property
    def deferred_instalments(self) -> int:
        """How many instalments at the start repay no principal: max(principal, interest)."""
        return max(self.principal_grace, self.interest_grace)
