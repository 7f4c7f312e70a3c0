"""quote_terms on the demo catalogue: limits at and around each bound, band rates and caps,
fees, and worked schedules with exact numbers."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from core.errors import ValidationError
from core.loans.schedule import build_schedule
from core.loans.terms import Frequency, InterestMethod, LoanTerms
from core.money import Money
from core.products.catalogue import PRODUCTS
from core.products.quote import disbursed_amount, origination_fee, quote_terms, term_words

CATALOGUE = {product.code: product for product in PRODUCTS}
PERSONAL = CATALOGUE["PERSONAL"]  # TTD 5,000–150,000, 12–60 months; A 150k, C 80k, E no
START = date(2025, 1, 15)


def quote(amount: str, term: int = 24, band: str = "A", code: str = "PERSONAL") -> LoanTerms:
    return quote_terms(CATALOGUE[code], amount=Money.of(amount), term=term, band=band,
                       start_date=START)


@pytest.mark.parametrize("amount", ["5000.00", "5000.01", "149999.99", "150000.00"])
def test_amounts_within_the_product_limits_are_accepted(amount: str) -> None:
    assert quote(amount).principal == Money.of(amount)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("4999.99", "Amount TTD 4,999.99 is below this product's minimum of TTD 5,000.00."),
        ("150000.01", "Amount TTD 150,000.01 is above this product's maximum of TTD 150,000.00."),
        ("500000", "Amount TTD 500,000.00 is above this product's maximum of TTD 150,000.00."),
    ],
)
def test_amounts_outside_the_product_limits_are_refused(amount: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        quote(amount)
    assert refused.value.message == message


@pytest.mark.parametrize(("term", "ok"), [(11, False), (12, True), (13, True), (59, True),
                                         (60, True), (61, False), (500, False)])
def test_term_limits(term: int, ok: bool) -> None:
    if ok:
        assert quote("10000", term=term).term == term
        return
    with pytest.raises(ValidationError) as refused:
        quote("10000", term=term)
    assert refused.value.message == f"A term of {term} months is outside 12–60 months."


def test_term_words_follow_the_frequency() -> None:
    with pytest.raises(ValidationError) as refused:
        quote("3000", term=7, code="SALARY_ADVANCE")
    assert refused.value.message == "A term of 7 fortnights is outside 2–6 fortnights."
    with pytest.raises(ValidationError, match="A term of 1 week is outside 12–52 weeks"):
        quote("3000", term=1, code="MICRO_BUSINESS")
    assert term_words(1, Frequency.MONTHLY) == "1 month"
    with pytest.raises(ValidationError, match="whole number of instalments"):
        quote("10000", term=True)  # a bool is not a count


@pytest.mark.parametrize(("band", "rate"), [("A", "0.12"), ("b", "0.145"), (" C ", "0.175"),
                                            ("D", "0.21")])
def test_the_band_sets_the_rate(band: str, rate: str) -> None:
    assert str(quote("10000", band=band).annual_rate) == rate


def test_band_caps_at_and_around_the_limit() -> None:
    assert quote("80000.00", band="C").principal == Money.of("80000.00")
    with pytest.raises(ValidationError) as refused:
        quote("80000.01", band="C")
    assert refused.value.message == (
        "Amount TTD 80,000.01 is above the TTD 80,000.00 limit for risk band C."
    )
    assert quote("40000.00", band="D").annual_rate == quote("5000", band="D").annual_rate
    with pytest.raises(ValidationError, match=r"TTD 40,000\.00 limit for risk band D"):
        quote("40000.01", band="D")


def test_ineligible_and_unknown_bands() -> None:
    with pytest.raises(ValidationError) as refused:
        quote("10000", band="E")
    assert refused.value.message == "Risk band E is not eligible for the Personal Loan."
    with pytest.raises(ValidationError, match="'F' is not a risk band; use A to E"):
        quote("10000", band="F")
    assert quote("5000", band="E", code="MICRO_BUSINESS").principal == Money.of(5000)


def test_currency_availability_and_effective_dates() -> None:
    with pytest.raises(ValidationError, match="lends in TTD, not USD"):
        quote_terms(PERSONAL, amount=Money.of(10000, "USD"), term=24, band="A", start_date=START)
    retired = dataclasses.replace(PERSONAL, active=False)
    with pytest.raises(ValidationError, match="Personal Loan is not offered any more"):
        quote_terms(retired, amount=Money.of(10000), term=24, band="A", start_date=START)
    window = dataclasses.replace(
        PERSONAL, effective_from=date(2025, 1, 15), effective_to=date(2025, 6, 30)
    )
    for day in (date(2025, 1, 15), date(2025, 6, 30)):
        quote_terms(window, amount=Money.of(10000), term=24, band="A", start_date=day)
    with pytest.raises(ValidationError, match="offered from 15 January 2025"):
        quote_terms(window, amount=Money.of(10000), term=24, band="A",
                    start_date=date(2025, 1, 14))
    with pytest.raises(ValidationError, match="offered until 30 June 2025"):
        quote_terms(window, amount=Money.of(10000), term=24, band="A", start_date=date(2025, 7, 1))


def test_personal_loan_worked_example() -> None:
    """TTD 10,000 over 12 months at 12% (band A): 1% a month, instalment 888.49, last 888.47;
    a 2% origination fee (TTD 200.00) is deducted, so TTD 9,800.00 is paid out."""
    terms = quote("10000", term=12)
    assert terms.financed_fees is None and terms.first_due_date is None
    assert terms.method is InterestMethod.DECLINING_EQUAL_INSTALMENT
    assert origination_fee(PERSONAL, terms.principal) == Money.of("200.00")
    assert disbursed_amount(PERSONAL, terms.principal) == Money.of("9800.00")
    schedule = build_schedule(terms)
    assert [str(i.total.amount) for i in schedule.instalments] == ["888.49"] * 11 + ["888.47"]
    assert schedule.totals.interest == Money.of("661.86")
    assert schedule.instalments[0].due_date == date(2025, 2, 15)


def test_auto_loan_finances_its_fee() -> None:
    """1% of TTD 100,000 is financed: the schedule opens at TTD 101,000.00."""
    terms = quote("100000", term=60, code="AUTO")
    assert terms.financed_fees == Money.of("1000.00")
    assert disbursed_amount(CATALOGUE["AUTO"], terms.principal) == Money.of("100000.00")
    assert build_schedule(terms).instalments[0].opening_principal == Money.of("101000.00")


def test_hire_purchase_worked_example() -> None:
    """TTD 4,500 + TTD 75 financed fee at 21% flat (band B) for 12 months: interest
    4,575 × 0.21 = 960.75; 5,535.75 / 12 = 461.31 rounds up to whole dollars, 462.00,
    and the last instalment takes the rest, 453.75."""
    terms = quote("4500", term=12, band="B", code="HP_STANDARD")
    schedule = build_schedule(terms)
    assert terms.financed_fees == Money.of("75.00")
    assert [str(i.total.amount) for i in schedule.instalments] == ["462.00"] * 11 + ["453.75"]
    assert schedule.totals.interest == Money.of("960.75")


def test_micro_loan_grace_and_equal_principal() -> None:
    """TTD 12,000 weekly at 24% (band C): two interest-only weeks of 12,000 × 0.24 / 52 =
    55.38, then 22 equal principal parts of 545.45/545.46."""
    terms = quote("12000", term=24, band="C", code="MICRO_BUSINESS")
    rows = build_schedule(terms).instalments
    assert terms.principal_grace == 2
    assert [str(r.total.amount) for r in rows[:3]] == ["55.38", "55.38", "600.84"]
    assert rows[1].principal == Money.zero()


def test_a_deducted_fee_must_leave_something_to_pay_out() -> None:
    greedy = dataclasses.replace(
        CATALOGUE["SALARY_ADVANCE"], origination_fee_fixed=Money.of(1000)
    )
    with pytest.raises(ValidationError, match=r"fee of TTD 1,000\.00 would take the whole amount"):
        quote_terms(greedy, amount=Money.of(1000), term=2, band="A", start_date=START)
