"""The public loan calculator: a full schedule, its totals and APR, for a product or for
explicit terms. Nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.agreement import AgreementFee, FeeTreatment, annual_percentage_rate
from core.applications.offers import fee_lines
from core.errors import ValidationError
from core.loans.schedule import Schedule, apr, build_schedule
from core.loans.terms import Frequency, InterestMethod, LoanTerms
from core.money import Money
from core.products.quote import quote_terms
from core.products.service import get_product, spec_from_record


@dataclass(frozen=True, slots=True)
class Calculation:
    """A schedule, the fees around it, what the borrower receives, and the APR (a fraction)."""

    schedule: Schedule
    fees: tuple[AgreementFee, ...]
    disbursed: Money
    apr: Decimal
    product_code: str | None = None
    band: str | None = None


def calculate(
    *,
    amount: Money,
    term: int,
    annual_rate: Decimal,
    start_date: date,
    frequency: Frequency = Frequency.MONTHLY,
    method: InterestMethod = InterestMethod.DECLINING_EQUAL_INSTALMENT,
    first_due_date: date | None = None,
) -> Calculation:
    """The schedule for explicit terms (no fees). Raises `ValidationError` for bad terms."""
    schedule = build_schedule(LoanTerms(
        principal=amount, annual_rate=annual_rate, term=term, start_date=start_date,
        frequency=frequency, method=method, first_due_date=first_due_date,
    ))
    return Calculation(schedule=schedule, fees=(), disbursed=amount, apr=apr(schedule))


async def calculate_for_product(
    session: AsyncSession,
    *,
    product_code: str,
    amount: Money,
    term: int,
    start_date: date,
    band: str | None = None,
    first_due_date: date | None = None,
) -> Calculation:
    """The schedule a product would offer, with its origination fee. Without `band` the
    eligible risk band with the lowest rate is used (the best case, "from" rate).

    Raises `NotFoundError` for an unknown product and `ValidationError` when the product
    does not lend that amount or term (or to that band).
    """
    product = await get_product(session, code=product_code)
    spec = spec_from_record(product)
    if band is None:
        eligible = [t for t in spec.tiers if t.eligible and t.annual_rate is not None]
        if not eligible:
            raise ValidationError(f"The {spec.name} has no eligible risk band.")
        band = min(eligible, key=lambda tier: tier.annual_rate or Decimal(0)).band
    terms = quote_terms(product, amount=amount, term=term, band=band, start_date=start_date,
                        first_due_date=first_due_date)
    schedule = build_schedule(terms)
    fees = fee_lines(product, terms)
    deducted = [fee.amount for fee in fees if fee.treatment is FeeTreatment.DEDUCTED]
    disbursed = amount - sum(deducted, Money.zero(amount.currency))
    return Calculation(
        schedule=schedule, fees=fees, disbursed=disbursed,
        apr=annual_percentage_rate(schedule, fees), product_code=spec.code, band=band,
    )
