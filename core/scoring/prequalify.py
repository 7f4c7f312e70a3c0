"""A soft pre-qualification: what the lending policy says about an amount, a term and an
income before anyone applies. Nothing is read or written and no bureau is asked.

The caller passes the live rule set's compiled rules, the product and a risk band. The facts
are derived exactly as for a decision (`derive.base_facts`, then `derive.priced_facts` for
the band) from what a prospective borrower can tell us: their monthly income, and when known
their existing monthly debt payments and date of birth. Every other fact is missing, so a
rule that needs one (the bureau, the score, employment) cannot be decided and is left out:
a soft check judges only what it knows, mostly the affordability rules.

- Eligible: no `hard_decline` or `refer` rule fires. The reasons are the fired rules' own
  sentences, hard declines first, at most `MAX_REASONS`.
- `max_amount`: the largest amount over the same term that is eligible, among the product's
  minimum, every multiple of `AMOUNT_STEP` above it and the band's limit (capped at the
  product's maximum). A larger amount never helps affordability (the instalment, the
  debt-service ratio and loan-to-income only grow with it), so it is found by bisection.
  None when not even the smallest amount is eligible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Final

from core.errors import ValidationError
from core.money import Money
from core.products.spec import BANDS, ProductSpec
from core.scoring.counter_offer import AMOUNT_STEP
from core.scoring.derive import Applicant, Quotes, base_facts, priced_facts, whole_years
from core.scoring.facts import CATALOGUE
from core.scoring.parser import Value
from core.scoring.reasons import MAX_REASONS
from core.scoring.rules import CompiledRule, Outcome, Severity

_DECIDING: Final = (Severity.HARD_DECLINE, Severity.REFER)


@dataclass(frozen=True, slots=True)
class Prequalification:
    """The soft check's answer for the amount and term asked about."""

    eligible: bool
    band: str
    reasons: tuple[str, ...]
    max_amount: Money | None
    monthly_instalment: Decimal | None
    """The new loan's largest instalment as a monthly amount (the `new_instalment` fact)."""
    debt_service_ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class _Check:
    applicant: Applicant
    rules: Sequence[CompiledRule]
    term: int
    band: str
    quotes: Quotes

    def facts(self, amount: Money) -> dict[str, Value]:
        facts = base_facts(self.applicant, amount, self.term)
        priced_facts(self.applicant, facts, amount, self.term, self.band, self.quotes)
        return facts

    def fired(self, facts: dict[str, Value]) -> list[tuple[Severity, str]]:
        found = []
        for rule in self.rules:
            outcome, _, _ = rule.check(facts)
            if outcome is Outcome.FIRED and rule.spec.severity in _DECIDING:
                found.append((rule.spec.severity, rule.spec.reason))
        return sorted(found, key=lambda item: _DECIDING.index(item[0]))


def _check_request(product: ProductSpec, amount: Money, term: int, band: str,
                   monthly_income: Money, existing: Money) -> None:
    if not isinstance(amount, Money) or amount.currency != product.currency:
        raise ValidationError(f"The {product.name} lends in {product.currency}.")
    if not product.min_amount <= amount <= product.max_amount:
        raise ValidationError(f"The {product.name} lends from {product.min_amount} to "
                              f"{product.max_amount}; {amount} is outside that.")
    if isinstance(term, bool) or not isinstance(term, int):
        raise ValidationError("The term must be a whole number of instalments.")
    if not product.min_term <= term <= product.max_term:
        raise ValidationError(f"The {product.name} runs from {product.min_term} to "
                              f"{product.max_term} instalments; {term} is outside that.")
    if band not in BANDS:
        raise ValidationError(f"{band!r} is not a risk band; use A to E.")
    for label, value in (("monthly income", monthly_income), ("existing payments", existing)):
        if value.currency != product.currency or value.is_negative():
            raise ValidationError(f"The {label} must be an amount in {product.currency} that "
                                  "is not negative.")


def _candidates(product: ProductSpec, band: str) -> list[Decimal]:
    """The amounts `max_amount` is chosen from, smallest first (empty: the band lends none)."""
    tier = product.tier(band)
    if tier is None or not tier.eligible or tier.max_amount is None:
        return []
    low, top = product.min_amount.amount, tier.max_amount.min(product.max_amount).amount
    first = (low / AMOUNT_STEP).to_integral_value(rounding=ROUND_CEILING) * AMOUNT_STEP
    steps = [first + AMOUNT_STEP * k for k in range(int((top - first) / AMOUNT_STEP) + 1)]
    return sorted({low, top, *(value for value in steps if low < value < top)})


def prequalify(
    rules: Sequence[CompiledRule], product: ProductSpec, *, amount: Money, term: int,
    band: str, monthly_income: Money, today: date, existing_payments: Money | None = None,
    date_of_birth: date | None = None,
) -> Prequalification:
    """Would `rules` accept lending `amount` over `term` instalments of `product` to someone
    in `band` earning `monthly_income` (net, a month)? See the module docstring.

    Raises ValidationError for an amount or term outside the product, an unknown band, or
    an income or existing payments that are negative or in another currency.
    """
    existing = existing_payments or Money.zero(product.currency)
    _check_request(product, amount, term, band, monthly_income, existing)
    gathered: dict[str, Value] = dict.fromkeys(CATALOGUE)
    gathered["monthly_income"] = monthly_income.amount
    gathered["lendline_monthly_payments"] = existing.amount
    if date_of_birth is not None:
        gathered["age"] = Decimal(whole_years(date_of_birth, today))
    applicant = Applicant(
        application_id=0, customer_id=0, reference="prequalification", today=today,
        product=product, amount=amount, term=term, date_of_birth=date_of_birth or today,
        gathered=gathered,
        # Without a date of birth the age at maturity is unknown, not zero.
        overrides={} if date_of_birth is not None else {"age_at_maturity": None},
    )
    check = _Check(applicant, rules, term, band, {})
    facts = check.facts(amount)
    fired = check.fired(facts)
    amounts = _candidates(product, band)
    low, high = 0, len(amounts)
    while low < high:  # the first candidate that is NOT eligible
        middle = (low + high) // 2
        if check.fired(check.facts(Money.of(amounts[middle], product.currency))):
            high = middle
        else:
            low = middle + 1
    instalment, ratio = facts.get("new_instalment"), facts.get("debt_service_ratio")
    return Prequalification(
        eligible=not fired, band=band,
        reasons=tuple(dict.fromkeys(reason for _, reason in fired))[:MAX_REASONS],
        max_amount=Money.of(amounts[low - 1], product.currency) if low else None,
        monthly_instalment=instalment if isinstance(instalment, Decimal) else None,
        debt_service_ratio=ratio if isinstance(ratio, Decimal) else None,
    )


def indicative_band(product: ProductSpec) -> str:
    """The band quoted when the borrower's is not known: the eligible band with the lowest
    rate, as `core.loans.calculator.calculate_for_product` chooses it ("rates from")."""
    eligible = [t for t in product.tiers if t.eligible and t.annual_rate is not None]
    if not eligible:
        raise ValidationError(f"The {product.name} has no eligible risk band.")
    return min(eligible, key=lambda tier: tier.annual_rate or Decimal(0)).band
