"""`largest_instalment` gives exactly the largest instalment of `build_schedule`, for any terms
`LoanTerms` accepts, and the same refusal when the schedule refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import ValidationError
from core.loans.schedule import build_schedule
from core.loans.terms import InterestCalculation, InterestMethod, LoanTerms
from core.money import Money
from core.products.catalogue import PRODUCTS
from core.products.quote import quote_terms
from core.scoring.instalment import largest_instalment
from tests.unit.test_schedule_properties import loan_terms

START = date(2025, 6, 2)


def largest_built(terms: LoanTerms) -> D:
    return max(row.total.amount for row in build_schedule(terms).instalments)


def agree(terms: LoanTerms) -> None:
    try:
        expected = largest_built(terms)
    except ValidationError as error:
        with pytest.raises(ValidationError) as refused:
            largest_instalment(terms)
        assert refused.value.message == error.message
        return
    found = largest_instalment(terms)
    assert (found, str(found)) == (expected, str(expected))


CAPITALISING = LoanTerms(principal=Money.of("5000"), annual_rate=D("3"), term=12,
                        start_date=START, calculation=InterestCalculation.DAILY,
                        first_due_date=date(2025, 8, 2))
"""A first period of two months at 300%: its interest is more than the level instalment."""
TOO_COARSE = LoanTerms(principal=Money.of("100"), annual_rate=D("0.3"), term=3,
                       start_date=START, rounding_multiple=D("100"))
"""Instalments rounded up to 100 would repay the loan at the second of three."""


@settings(max_examples=1000, deadline=None)
@given(loan_terms())
@example(LoanTerms(principal=Money.of("20000"), annual_rate=D("0.145"), term=24,
                   start_date=START))
@example(LoanTerms(principal=Money.of("1000"), annual_rate=D("0.3"), term=3, start_date=START,
                   rounding_multiple=D("100")))
@example(CAPITALISING)
@example(TOO_COARSE)
def test_equals_the_largest_instalment_of_the_built_schedule(terms: LoanTerms) -> None:
    agree(terms)


@st.composite
def catalogue_terms(draw: st.DrawFn) -> LoanTerms:
    """What the engine prices: a catalogue product, an eligible band, an amount and a term
    within the product and the band."""
    product = draw(st.sampled_from(PRODUCTS))
    tier = draw(st.sampled_from([t for t in product.tiers if t.eligible and t.max_amount]))
    assert tier.max_amount is not None
    cents = draw(st.integers(int(product.min_amount.amount * 100),
                             int(tier.max_amount.amount * 100)))
    return quote_terms(product, amount=Money(D(cents).scaleb(-2)), band=tier.band,
                       term=draw(st.integers(product.min_term, product.max_term)),
                       start_date=draw(st.dates(date(2024, 1, 1), date(2030, 12, 31))))


@settings(max_examples=400, deadline=None)
@given(catalogue_terms())
def test_equals_the_schedule_for_every_catalogue_product(terms: LoanTerms) -> None:
    agree(terms)


def test_the_last_instalment_is_found_when_it_is_the_largest() -> None:
    """12,000 over 24 months at 14.5%: 23 instalments of 578.99, then 579.08 (rounding the
    instalment down left 9 cents of principal for the last)."""
    terms = LoanTerms(principal=Money.of("12000"), annual_rate=D("0.145"), term=24,
                      start_date=START)
    rows = build_schedule(terms).instalments
    assert (rows[0].total.amount, rows[-1].total.amount) == (D("578.99"), D("579.08"))
    assert largest_instalment(terms) == D("579.08")


def test_methods_and_rounding_worked_examples() -> None:
    flat = LoanTerms(principal=Money.of("1000"), annual_rate=D("0.12"), term=3, start_date=START,
                     method=InterestMethod.FLAT)
    # 1,000 × 12% × 3/12 = 30 interest: 343.34, 343.33, 343.33.
    assert largest_instalment(flat) == D("343.34")
    principal = LoanTerms(principal=Money.of("1200"), annual_rate=D("0.12"), term=12,
                          start_date=START, method=InterestMethod.DECLINING_EQUAL_PRINCIPAL)
    # The first instalment is the largest: 100 of principal + 12 of interest.
    assert largest_instalment(principal) == D("112.00")
    whole = LoanTerms(principal=Money.of("1000"), annual_rate=D("0.12"), term=3,
                      start_date=START, rounding_multiple=D(1))
    # The level instalment rounded up to 341.00 twice; the last takes the 338.04 left.
    assert largest_instalment(whole) == D("341.00")


def test_rows_off_the_regular_pattern_are_left_to_the_schedule() -> None:
    rows = build_schedule(CAPITALISING).instalments
    assert (rows[0].capitalised_interest.amount, rows[0].total.amount) == (D("891.64"),
                                                                           D("1615.21"))
    assert largest_instalment(CAPITALISING) == D("1615.21")
    with pytest.raises(ValidationError, match="repay the loan at instalment 2, before the last"):
        largest_instalment(TOO_COARSE)
