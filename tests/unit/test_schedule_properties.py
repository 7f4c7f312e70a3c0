"""Properties every schedule must have, for any terms `LoanTerms` accepts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from core.errors import ValidationError
from core.loans.calendar import step
from core.loans.schedule import Schedule, apr, build_schedule
from core.loans.terms import (
    DayCount,
    Frequency,
    InterestCalculation,
    InterestMethod,
    LoanTerms,
)
from core.money import Money, total

MULTIPLES = [None, Decimal("0.05"), Decimal("1"), Decimal("10"), Decimal("100")]


def cents(low: int, high: int) -> st.SearchStrategy[Money]:
    return st.integers(low, high).map(lambda n: Money(Decimal(n).scaleb(-2)))


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    term = draw(st.integers(1, 120))
    frequency = draw(st.sampled_from(Frequency))
    start = draw(st.dates(date(2000, 1, 1), date(2080, 12, 31)))
    first_due = None
    if draw(st.booleans()):
        latest = (step(start, frequency, 2) - start).days
        first_due = start + timedelta(days=draw(st.integers(1, latest)))
    return LoanTerms(
        principal=draw(cents(1, 100_000_000)),
        annual_rate=Decimal(draw(st.integers(0, 6_000))).scaleb(-4),
        term=term,
        start_date=start,
        frequency=frequency,
        method=draw(st.sampled_from(InterestMethod)),
        calculation=draw(st.sampled_from(InterestCalculation)),
        day_count=draw(st.sampled_from(DayCount)),
        first_due_date=first_due,
        principal_grace=draw(st.integers(0, term - 1)),
        interest_grace=draw(st.integers(0, term - 1)),
        rounding_multiple=draw(st.sampled_from(MULTIPLES)),
        financed_fees=draw(st.none() | cents(0, 1_000_000)),
    )


def build(terms: LoanTerms) -> Schedule:
    try:
        return build_schedule(terms)
    except ValidationError as error:
        # The one refusal allowed for valid terms: a multiple too coarse for a small loan.
        assert terms.rounding_multiple is not None, error.message
        assert "smaller multiple" in error.message
        reject()


@settings(max_examples=400, deadline=None)
@given(loan_terms())
def test_every_schedule_adds_up_exactly(terms: LoanTerms) -> None:
    schedule = build(terms)
    rows = schedule.instalments
    currency = terms.currency

    assert [row.number for row in rows] == list(range(1, terms.term + 1))
    assert rows[0].due_date > terms.start_date
    assert all(a.due_date < b.due_date for a, b in pairwise(rows))

    assert rows[0].opening_principal == terms.financed_amount
    for row in rows:
        for amount in (
            row.opening_principal,
            row.capitalised_interest,
            row.principal,
            row.interest,
            row.fee,
            row.total,
            row.closing_principal,
        ):
            assert not amount.is_negative(), row
        assert row.total == row.principal + row.interest + row.fee
        assert row.closing_principal == row.opening_principal + row.capitalised_interest - (
            row.principal
        )
    for before, after in pairwise(rows):
        assert after.opening_principal == before.closing_principal
    assert rows[-1].closing_principal == Money.zero(currency)

    principal = total([row.principal for row in rows], currency)
    capitalised = total([row.capitalised_interest for row in rows], currency)
    assert principal == terms.financed_amount + capitalised

    totals = schedule.totals
    assert totals.principal == principal
    assert totals.capitalised_interest == capitalised
    assert totals.interest == total([row.interest for row in rows], currency)
    assert totals.fees == total([row.fee for row in rows], currency)
    assert totals.payable == total([row.total for row in rows], currency)
    assert totals.payable == totals.principal + totals.interest + totals.fees
    assert totals.cost_of_credit == totals.payable - terms.principal


@settings(max_examples=200, deadline=None)
@given(loan_terms())
def test_grace_and_rounding_shape_the_rows(terms: LoanTerms) -> None:
    rows = build(terms).instalments
    for row in rows[: terms.deferred_instalments]:
        assert row.principal == Money.zero(terms.currency)
    for row in rows[: terms.interest_grace]:
        assert row.total == Money.zero(terms.currency)
    regular = rows[terms.deferred_instalments : -1]
    multiple = terms.rounding_multiple
    if multiple is not None:
        assert all(row.total.amount % multiple == 0 for row in regular)
    if terms.method is InterestMethod.DECLINING_EQUAL_INSTALMENT:
        # Level until the balance runs out (a few cents over many instalments can run out
        # before the last one; the rows after that are zero).
        assert len({row.total for row in regular if row.closing_principal}) <= 1


@settings(max_examples=60, deadline=None)
@given(loan_terms())
def test_apr_is_never_negative_and_zero_when_credit_is_free(terms: LoanTerms) -> None:
    schedule = build(terms)
    rate = apr(schedule)
    assert rate >= 0
    if not schedule.totals.cost_of_credit:
        assert rate == 0


@settings(max_examples=60, deadline=None)
@given(
    principal=cents(100_000, 100_000_000),
    rate=st.integers(1, 6_000).map(lambda n: Decimal(n).scaleb(-4)),
    term=st.integers(2, 120),
    start=st.dates(date(2000, 1, 1), date(2080, 12, 31)),
)
def test_apr_of_a_plain_monthly_loan_is_its_effective_rate(
    principal: Money, rate: Decimal, term: int, start: date
) -> None:
    terms = LoanTerms(principal=principal, annual_rate=rate, term=term, start_date=start)
    effective = (1 + rate / 12) ** 12 - 1
    # Rounding instalments to cents moves the APR of a short, small loan by a few
    # hundred-thousandths: of the order of 0.1 / principal.
    tolerance = Decimal("0.2") / principal.amount
    assert abs(apr(build_schedule(terms), places=8) - effective) <= tolerance
