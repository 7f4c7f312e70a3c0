"""What a loan product is, as a validated value: `ProductSpec` and its risk-band `TierSpec`s.

A `ProductSpec` is checked on construction (like `LoanTerms`), so anything the catalogue,
the API or an update builds is a product the schedule engine can quote. Rates and fee
percentages are fractions (`Decimal("0.12")` for 12%); terms count instalments of the
product's one `frequency`. Enum fields also accept their string values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from core.errors import ValidationError
from core.loans.terms import MAX_TERM, DayCount, Frequency, InterestCalculation, InterestMethod
from core.money import Money, exponent

BANDS: Final = ("A", "B", "C", "D", "E")
MAX_PRODUCT_RATE: Final = Decimal(1)
"""A nominal rate above 100% a year is refused: almost surely 12 typed for 0.12."""
MAX_FEE_PERCENT: Final = Decimal("0.25")
MAX_LATE_FEE_GRACE_DAYS: Final = 90


class OverpaymentHandling(StrEnum):
    """What happens to money paid beyond what is due."""

    CREDIT_BALANCE = "credit_balance"
    """Held as a credit and used for the next instalments."""
    PREPAY = "prepay"
    """Applied to principal at once, shortening the loan."""


class FeeTreatment(StrEnum):
    """How the origination fee is collected."""

    DEDUCTED = "deducted"
    """Taken from the amount disbursed; the borrower repays the full principal."""
    FINANCED = "financed"
    """Added to the amount financed; it earns interest."""


_E = TypeVar("_E", bound=StrEnum)


def as_enum(kind: type[_E], value: object, label: str) -> _E:
    """`value` as a member of `kind` (members or their string values)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in kind)
    raise ValidationError(f"{value!r} is not a {label}; use one of: {allowed}.")


def _count(value: object, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"The {label} must be a whole number.")
    if not low <= value <= high:
        raise ValidationError(f"The {label} must be between {low} and {high}, not {value}.")
    return value


def _fraction(value: object, label: str, high: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(f"The {label} must be an exact Decimal, e.g. 0.12 for 12%.")
    if value < 0:
        raise ValidationError(f"The {label} cannot be negative ({value}).")
    if value > high:
        raise ValidationError(
            f"The {label} of {value} means {value * 100}%, above the {high * 100}% limit; "
            "enter 0.12 for 12%."
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TierSpec:
    """The rate and cap for one risk band. An ineligible band's rate and cap are unused."""

    band: str
    annual_rate: Decimal | None = None
    max_amount: Money | None = None
    eligible: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductSpec:
    """A loan product. Validated on construction; see the module docstring."""

    code: str
    name: str
    min_amount: Money
    max_amount: Money
    min_term: int
    max_term: int
    min_rate: Decimal
    max_rate: Decimal
    tiers: tuple[TierSpec, ...]
    description: str = ""
    frequency: Frequency = Frequency.MONTHLY
    method: InterestMethod = InterestMethod.DECLINING_EQUAL_INSTALMENT
    calculation: InterestCalculation = InterestCalculation.PER_PERIOD
    day_count: DayCount = DayCount.ACT_365
    principal_grace: int = 0
    interest_grace: int = 0
    rounding_multiple: Decimal | None = None
    overpayment: OverpaymentHandling = OverpaymentHandling.CREDIT_BALANCE
    origination_fee_fixed: Money = field(default_factory=Money.zero)
    origination_fee_percent: Decimal = Decimal(0)
    origination_fee_treatment: FeeTreatment = FeeTreatment.DEDUCTED
    late_fee: Money = field(default_factory=Money.zero)
    late_fee_grace_days: int = 0
    early_settlement_fee_percent: Decimal = Decimal(0)
    hire_purchase: bool = False
    active: bool = True
    effective_from: date | None = None
    effective_to: date | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        code = self.code.strip().upper() if isinstance(self.code, str) else ""
        if not code or len(code) > 40 or not code.replace("_", "").replace("-", "").isalnum():
            raise ValidationError(
                f"{self.code!r} is not a product code: use 1–40 letters, digits, - or _."
            )
        put(self, "code", code)
        name = " ".join(self.name.split()) if isinstance(self.name, str) else ""
        if not name or len(name) > 120:
            raise ValidationError("A product needs a name of at most 120 characters.")
        put(self, "name", name)
        put(self, "frequency", as_enum(Frequency, self.frequency, "repayment frequency"))
        put(self, "method", as_enum(InterestMethod, self.method, "interest method"))
        put(self, "calculation", as_enum(InterestCalculation, self.calculation, "calculation"))
        put(self, "day_count", as_enum(DayCount, self.day_count, "day-count convention"))
        put(
            self, "overpayment",
            as_enum(OverpaymentHandling, self.overpayment, "way to handle overpayments"),
        )
        put(
            self, "origination_fee_treatment",
            as_enum(FeeTreatment, self.origination_fee_treatment, "fee treatment"),
        )
        self._check_amounts()
        self._check_terms()
        self._check_rates_and_fees()
        self._check_dates()
        put(self, "tiers", self._checked_tiers())

    @property
    def currency(self) -> str:
        return self.min_amount.currency

    def _money(self, value: object, label: str) -> Money:
        if not isinstance(value, Money):
            raise ValidationError(f"The {label} must be a Money amount.")
        if value.currency != self.currency:
            raise ValidationError(f"The {label} must be in {self.currency}, not {value.currency}.")
        if value.is_negative():
            raise ValidationError(f"The {label} cannot be negative ({value}).")
        return value

    def _check_amounts(self) -> None:
        if not isinstance(self.min_amount, Money):
            raise ValidationError("The minimum amount must be a Money amount.")
        low = self._money(self.min_amount, "minimum amount")
        high = self._money(self.max_amount, "maximum amount")
        if not low.is_positive():
            raise ValidationError("The minimum amount must be more than zero.")
        if low > high:
            raise ValidationError(f"The minimum amount {low} is above the maximum {high}.")
        self._money(self.origination_fee_fixed, "fixed origination fee")
        self._money(self.late_fee, "late fee")
        multiple = self.rounding_multiple
        if multiple is not None and (
            not isinstance(multiple, Decimal) or not multiple.is_finite() or multiple <= 0
            or multiple % exponent(self.currency) != 0
        ):
            raise ValidationError(
                f"The rounding multiple must be a positive amount in whole {self.currency} cents."
            )

    def _check_terms(self) -> None:
        low = _count(self.min_term, "minimum term", 1, MAX_TERM)
        high = _count(self.max_term, "maximum term", 1, MAX_TERM)
        if low > high:
            raise ValidationError(f"The minimum term {low} is above the maximum term {high}.")
        _count(self.principal_grace, "principal grace", 0, low - 1)
        _count(self.interest_grace, "interest grace", 0, low - 1)
        _count(self.late_fee_grace_days, "late fee grace", 0, MAX_LATE_FEE_GRACE_DAYS)

    def _check_rates_and_fees(self) -> None:
        low = _fraction(self.min_rate, "minimum rate", MAX_PRODUCT_RATE)
        high = _fraction(self.max_rate, "maximum rate", MAX_PRODUCT_RATE)
        if low > high:
            raise ValidationError(f"The minimum rate {low} is above the maximum rate {high}.")
        _fraction(self.origination_fee_percent, "origination fee", MAX_FEE_PERCENT)
        _fraction(self.early_settlement_fee_percent, "early settlement fee", MAX_FEE_PERCENT)
        for flag in (self.hire_purchase, self.active):
            if not isinstance(flag, bool):
                raise ValidationError("The hire-purchase and active flags must be true or false.")

    def _check_dates(self) -> None:
        for value in (self.effective_from, self.effective_to):
            if value is not None and not isinstance(value, date):
                raise ValidationError("Effective dates must be calendar dates.")
        start, end = self.effective_from, self.effective_to
        if start is not None and end is not None and end < start:
            raise ValidationError(f"The product stops ({end}) before it starts ({start}).")

    def _checked_tiers(self) -> tuple[TierSpec, ...]:
        tiers = tuple(self.tiers) if isinstance(self.tiers, list | tuple) else ()
        bands = [getattr(tier, "band", None) for tier in tiers]
        if not tiers or not all(isinstance(tier, TierSpec) for tier in tiers):
            raise ValidationError("A product needs its risk-band tiers.")
        for band in bands:
            if band not in BANDS:
                raise ValidationError(f"{band!r} is not a risk band; use A to E.")
            if bands.count(band) > 1:
                raise ValidationError(f"Risk band {band} is listed twice.")
        eligible = [tier for tier in tiers if tier.eligible]
        if not eligible:
            raise ValidationError("At least one risk band must be eligible.")
        for tier in eligible:
            rate = tier.annual_rate
            if not isinstance(rate, Decimal) or not self.min_rate <= rate <= self.max_rate:
                raise ValidationError(
                    f"Band {tier.band}'s rate must be within the product's "
                    f"{self.min_rate}–{self.max_rate}, not {rate}."
                )
            cap = self._money(tier.max_amount, f"band {tier.band} limit")
            if not self.min_amount <= cap <= self.max_amount:
                raise ValidationError(
                    f"Band {tier.band}'s limit {cap} must be within the product's "
                    f"{self.min_amount} to {self.max_amount}."
                )
        return tuple(sorted(tiers, key=lambda tier: tier.band))

    def tier(self, band: str) -> TierSpec | None:
        """The tier for `band`, or None when the product lists no such band."""
        return next((tier for tier in self.tiers if tier.band == band), None)
