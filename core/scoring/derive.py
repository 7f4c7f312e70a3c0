"""Derived facts: from what was gathered about an applicant to what rules read.

Two steps, because pricing depends on the score:
- `base_facts` (before scoring): the amount and term under consideration, debt payments
  already owed, the income used for affordability, ratios to income, occupation benchmarks;
- `priced_facts` (after scoring): the band's eligibility, limit and rate, the new loan's
  instalment (quoted through `core.products.quote.quote_terms`; the largest instalment
  `core.loans.schedule.build_schedule` would give, worked out by
  `core.scoring.instalment.largest_instalment` without building the schedule; an amount
  above the band's limit is priced as if the limit allowed it, so affordability is still
  measured), the debt-service ratio with it, age at maturity.

Ratios are rounded half up to 4 decimal places; money to the cent. A fact that cannot be
worked out (no income declared, a band the product does not lend to) is None (missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final

from core.loans.calendar import step
from core.money import Money
from core.products.quote import quote_terms
from core.products.spec import ProductSpec
from core.scoring.benchmarks import benchmark_for
from core.scoring.instalment import largest_instalment
from core.scoring.parser import Value

_RATIO: Final = Decimal("0.0001")
_CENT: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicant:
    """Everything gathered about one application, before any derivation."""

    application_id: int
    customer_id: int
    reference: str
    today: date
    product: ProductSpec
    amount: Money
    term: int
    date_of_birth: date
    gathered: Mapping[str, Value] = field(default_factory=dict)
    overrides: Mapping[str, Value] = field(default_factory=dict)
    """Derived facts forced to a value (what-if): they replace what derivation gives."""


Quotes = dict[tuple[Decimal, int, str], Decimal]
"""Monthly instalments already worked out, by (amount, term, band)."""


def whole_years(born: date, on: date) -> int:
    """Completed years from `born` to `on` (a birthday counts on the day itself)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def whole_months(start: date, on: date) -> int:
    """Completed months from `start` to `on` (0 if `on` is earlier)."""
    months = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    return max(months, 0)


def _number(facts: Mapping[str, Value], name: str) -> Decimal | None:
    value = facts.get(name)
    return value if isinstance(value, Decimal) else None


def _ratio(top: Decimal | None, bottom: Decimal | None) -> Decimal | None:
    if top is None or bottom is None or bottom <= 0:
        return None
    return (top / bottom).quantize(_RATIO, ROUND_HALF_UP)


def base_facts(applicant: Applicant, amount: Money, term: int) -> dict[str, Value]:
    """The gathered facts plus everything that does not depend on the score."""
    facts = dict(applicant.gathered)
    product = applicant.product
    facts["requested_amount"] = amount.amount
    facts["requested_term"] = Decimal(term)
    facts["term_months"] = (Decimal(term * 12) / product.frequency.periods_per_year).quantize(
        _CENT, rounding=ROUND_HALF_UP)
    facts["product_code"] = product.code
    facts["product_type"] = "hire_purchase" if product.hire_purchase else "cash"
    bureau = _number(facts, "bureau_monthly_payments") or Decimal(0)
    internal = _number(facts, "lendline_monthly_payments") or Decimal(0)
    statement = _number(facts, "statement_obligations") or Decimal(0)
    existing = max(bureau + internal, statement)
    facts["existing_debt_payments"] = existing
    declared = _number(facts, "monthly_income")
    seen = _number(facts, "statement_income") if facts.get("statement_available") else None
    income = declared if seen is None or declared is None else min(declared, seen)
    facts["income_for_affordability"] = income
    facts["debt_to_income"] = _ratio(existing, income)
    facts["expense_ratio"] = _ratio(_number(facts, "declared_expenses"), declared)
    facts["loan_to_income"] = _ratio(amount.amount, None if income is None else income * 12)
    gross = _number(facts, "gross_monthly_income")
    occupation = facts.get("occupation")
    benchmark = benchmark_for(occupation if isinstance(occupation, str) else None)
    facts["income_to_benchmark"] = _ratio(gross, benchmark.typical_gross_income)
    facts["benchmark_min_expense_ratio"] = benchmark.min_expense_ratio
    facts.update(applicant.overrides)
    return facts


@lru_cache(maxsize=8192)
def _largest_monthly(product: ProductSpec, amount: Money, term: int, band: str,
                     start: date) -> Decimal:
    tier = product.tier(band)
    if tier is not None and tier.max_amount is not None and amount > tier.max_amount:
        # Price what was asked for, as if the band's limit allowed it: the limit has its own
        # rule, and affordability should still be measured on the real request.
        product = replace(product, tiers=tuple(
            replace(t, max_amount=product.max_amount) if t is tier else t
            for t in product.tiers))
    terms = quote_terms(product, amount=amount, term=term, band=band, start_date=start)
    largest = largest_instalment(terms)
    per_year = product.frequency.periods_per_year
    return (largest * per_year / 12).quantize(_CENT, rounding=ROUND_HALF_UP)


def monthly_instalment(
    applicant: Applicant, amount: Money, term: int, band: str, cache: Quotes
) -> Decimal:
    """The largest instalment of lending `amount` over `term` in `band`, as a monthly
    amount (instalment × instalments a year / 12), cached in `cache`. Schedules depend
    only on the product, the request and the date, so they are also shared across
    applicants (a bounded cache of the most recent)."""
    key = (amount.amount, term, band)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _largest_monthly(applicant.product, amount, term, band,
                                              applicant.today)
    return found


def priced_facts(
    applicant: Applicant, facts: dict[str, Value], amount: Money, term: int, band: str,
    cache: Quotes,
) -> None:
    """Add the band's facts, the new instalment and the debt-service ratio to `facts`."""
    product = applicant.product
    tier = product.tier(band)
    eligible = bool(tier is not None and tier.eligible and tier.annual_rate is not None
                    and tier.max_amount is not None)
    cap = tier.max_amount if eligible and tier is not None else None
    facts["band_eligible"] = eligible
    facts["band_max_amount"] = None if cap is None else cap.amount
    facts["amount_over_band_cap"] = None if cap is None else amount.amount - cap.amount
    facts["annual_rate"] = tier.annual_rate if eligible and tier is not None else None
    maturity = step(applicant.today, product.frequency, term)
    facts["age_at_maturity"] = Decimal(whole_years(applicant.date_of_birth, maturity))
    instalment = None
    if cap is not None:
        instalment = monthly_instalment(applicant, amount, term, band, cache)
    facts["new_instalment"] = instalment
    existing = _number(facts, "existing_debt_payments")
    total = None if instalment is None or existing is None else existing + instalment
    facts["debt_service_ratio"] = _ratio(total, _number(facts, "income_for_affordability"))
    facts.update(applicant.overrides)
