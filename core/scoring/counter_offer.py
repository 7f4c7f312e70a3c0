"""The counter-offers worth trying, in a fixed order, so the search is deterministic.

Amounts, largest first: the request capped at the band's limit, then 90%, 80%, ... 10% of
the request rounded down to a multiple of `AMOUNT_STEP`, then the product's minimum; only
amounts within the product and the band. Hire purchase keeps the amount asked for (a
smaller one would change the down payment agreed with the merchant): only the term moves.
Terms, shortest first: the term asked for, then longer terms in strides of a quarter of a
year's instalments, and the product's longest.

The search (`core.scoring.assess`) offers the largest amount at the shortest term that
passes. It relies on one property of affordability (the `counter_offerable` rules): a
smaller amount or a longer term never makes it worse, because the instalment only falls.
So it tries the first amount over its longest term; if that is unaffordable it finds the
largest amount affordable over its longest term by bisection, then that amount's shortest
affordable term by bisection. A rule that a longer term makes worse (age at maturity) is
checked on that shortest term, where it is most lenient; if it still fails, the next
smaller amount is tried the same way.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Final

from core.money import Money
from core.scoring.derive import Applicant

AMOUNT_STEP: Final = Decimal(100)


def _amounts(applicant: Applicant, cap: Money) -> list[Money]:
    product = applicant.product
    requested = applicant.amount
    if product.hire_purchase:
        return [requested] if requested <= cap else []
    low, top = product.min_amount.amount, requested.min(cap).amount
    found = {top, low}
    for tenths in range(9, 0, -1):
        raw = requested.amount * tenths / 10
        found.add((raw / AMOUNT_STEP).to_integral_value(rounding=ROUND_FLOOR) * AMOUNT_STEP)
    usable = sorted((value for value in found if low <= value <= top), reverse=True)
    return [Money.of(value, requested.currency) for value in usable]


def _terms(applicant: Applicant) -> list[int]:
    product = applicant.product
    stride = max(1, product.frequency.periods_per_year // 4)
    start = max(applicant.term, product.min_term)
    terms = set(range(start, product.max_term + 1, stride)) | {product.max_term}
    return sorted(term for term in terms if term >= start)


def grid(applicant: Applicant, band: str) -> list[tuple[Money, list[int]]]:
    """Each amount to try, best first, with its terms, shortest first (see the docstring).
    Empty when the product does not lend to `band`."""
    tier = applicant.product.tier(band)
    if tier is None or not tier.eligible or tier.max_amount is None:
        return []
    terms = _terms(applicant)
    return [(amount, terms) for amount in _amounts(applicant, tier.max_amount)]
