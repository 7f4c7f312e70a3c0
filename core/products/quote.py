"""Turn a product, an amount, a term and a risk band into the `LoanTerms` a schedule needs.

The band decides the rate and caps the amount (below the product's own maximum). The
origination fee is fixed + percent × amount, rounded half up; a FINANCED fee goes into the
terms as `financed_fees`, a DEDUCTED one stays out (the borrower receives amount − fee and
repays the amount: see `origination_fee` and `disbursed_amount`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.errors import ValidationError
from core.loans.terms import Frequency, LoanTerms
from core.money import Money
from core.products.models import LoanProduct
from core.products.service import spec_from_record
from core.products.spec import BANDS, FeeTreatment, ProductSpec

_UNITS = {
    Frequency.MONTHLY: ("month", "months"),
    Frequency.FORTNIGHTLY: ("fortnight", "fortnights"),
    Frequency.WEEKLY: ("week", "weeks"),
}


def term_words(count: int, frequency: Frequency) -> str:
    """"1 month", "24 fortnights"."""
    singular, plural = _UNITS[frequency]
    return f"{count} {singular if count == 1 else plural}"


def _spec(product: LoanProduct | ProductSpec) -> ProductSpec:
    return spec_from_record(product) if isinstance(product, LoanProduct) else product


def origination_fee(product: LoanProduct | ProductSpec, amount: Money) -> Money:
    """Fixed fee plus the percentage of `amount`, rounded half up to the cent."""
    spec = _spec(product)
    return spec.origination_fee_fixed + amount.times(spec.origination_fee_percent)


def disbursed_amount(product: LoanProduct | ProductSpec, amount: Money) -> Money:
    """What the borrower receives: the amount, less the fee when it is DEDUCTED."""
    spec = _spec(product)
    if spec.origination_fee_treatment is FeeTreatment.DEDUCTED:
        return amount - origination_fee(spec, amount)
    return amount


def _check_offered(spec: ProductSpec, start_date: date) -> None:
    if not spec.active:
        raise ValidationError(f"The {spec.name} is not offered any more.")
    if spec.effective_from is not None and start_date < spec.effective_from:
        raise ValidationError(
            f"The {spec.name} is offered from {spec.effective_from:%d %B %Y}."
        )
    if spec.effective_to is not None and start_date > spec.effective_to:
        raise ValidationError(
            f"The {spec.name} was offered until {spec.effective_to:%d %B %Y}."
        )


def _band_rate(spec: ProductSpec, amount: Money, band: str) -> Decimal:
    """Check `amount` against the product and the band; the band's rate."""
    if not isinstance(amount, Money):
        raise ValidationError("The amount must be a Money amount.")
    if amount.currency != spec.currency:
        raise ValidationError(f"The {spec.name} lends in {spec.currency}, not {amount.currency}.")
    if amount < spec.min_amount:
        raise ValidationError(
            f"Amount {amount} is below this product's minimum of {spec.min_amount}."
        )
    if amount > spec.max_amount:
        raise ValidationError(
            f"Amount {amount} is above this product's maximum of {spec.max_amount}."
        )
    code = band.strip().upper() if isinstance(band, str) else ""
    tier = spec.tier(code)
    if code not in BANDS:
        raise ValidationError(f"{band!r} is not a risk band; use A to E.")
    if tier is None or not tier.eligible or tier.annual_rate is None or tier.max_amount is None:
        raise ValidationError(f"Risk band {code} is not eligible for the {spec.name}.")
    if amount > tier.max_amount:
        raise ValidationError(
            f"Amount {amount} is above the {tier.max_amount} limit for risk band {code}."
        )
    return tier.annual_rate


def quote_terms(
    product: LoanProduct | ProductSpec, *, amount: Money, term: int, band: str,
    start_date: date, first_due_date: date | None = None,
) -> LoanTerms:
    """The `LoanTerms` for lending `amount` over `term` instalments to a borrower in `band`.

    Checks, each with a message the borrower can read: the product is offered on
    `start_date`; `amount` is in the product's currency and within its minimum and maximum
    and the band's limit; the band is eligible; `term` is within the product's range; a
    DEDUCTED fee leaves something to disburse. The rate is the band's.
    """
    spec = _spec(product)
    _check_offered(spec, start_date)
    annual_rate = _band_rate(spec, amount, band)
    if isinstance(term, bool) or not isinstance(term, int):
        raise ValidationError("The term must be a whole number of instalments.")
    if not spec.min_term <= term <= spec.max_term:
        raise ValidationError(
            f"A term of {term_words(term, spec.frequency)} is outside "
            f"{spec.min_term}–{term_words(spec.max_term, spec.frequency)}."
        )
    fee = origination_fee(spec, amount)
    if spec.origination_fee_treatment is FeeTreatment.DEDUCTED and fee >= amount:
        raise ValidationError(f"The origination fee of {fee} would take the whole amount.")
    financed = fee if spec.origination_fee_treatment is FeeTreatment.FINANCED and fee else None
    return LoanTerms(
        principal=amount, annual_rate=annual_rate, term=term, start_date=start_date,
        frequency=spec.frequency, method=spec.method, calculation=spec.calculation,
        day_count=spec.day_count, first_due_date=first_due_date,
        principal_grace=spec.principal_grace, interest_grace=spec.interest_grace,
        rounding_multiple=spec.rounding_multiple, financed_fees=financed,
    )
