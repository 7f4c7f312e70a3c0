"""The soft pre-qualification against the demo lender's rules: worked examples at the edge of
the debt-service ratio, the rules a soft check cannot decide, and the refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from core.errors import ValidationError
from core.loans.schedule import build_schedule
from core.money import Money
from core.products.catalogue import PRODUCTS
from core.products.quote import quote_terms
from core.scoring.prequalify import Prequalification, indicative_band, prequalify
from tests.unit.scoring_support import PERSONAL, RULES, TODAY

DSR_REASON = "Your debt repayments, including this loan, would be more than 45% of your income."
MICRO = next(p for p in PRODUCTS if p.code == "MICRO_BUSINESS")


def check(amount: str = "20000", term: int = 24, band: str = "B", income: str = "10000", *,
          existing_payments: Money | None = None,
          date_of_birth: dt.date | None = None) -> Prequalification:
    return prequalify(RULES, PERSONAL, amount=Money.of(amount), term=term, band=band,
                      monthly_income=Money.of(income), today=TODAY,
                      existing_payments=existing_payments, date_of_birth=date_of_birth)


def test_affordable_request_with_the_largest_amount_over_the_same_term() -> None:
    result = check()
    assert result.eligible and result.reasons == () and result.band == "B"
    # TTD 20,000 over 24 months at 14.5%: 964.99 a month, 9.65% of TTD 10,000.
    assert (result.monthly_instalment, result.debt_service_ratio) == (D("964.99"), D("0.0965"))
    assert result.max_amount == Money.of("93200")


def test_max_amount_is_the_last_step_under_the_debt_service_limit() -> None:
    at_limit, over = check("93200"), check("93300")
    # 4,496.85 a month is 44.97% of TTD 10,000; 100 more makes it 4,501.71, 45.02%.
    assert (at_limit.monthly_instalment, at_limit.debt_service_ratio) == (
        D("4496.85"), D("0.4497"))
    assert at_limit.eligible
    assert (over.monthly_instalment, over.debt_service_ratio) == (D("4501.71"), D("0.4502"))
    assert not over.eligible and over.reasons == (DSR_REASON,)
    assert over.max_amount == Money.of("93200")


def test_instalment_is_the_schedules_largest() -> None:
    terms = quote_terms(PERSONAL, amount=Money.of("20000"), term=24, band="B", start_date=TODAY)
    largest = max(row.total.amount for row in build_schedule(terms).instalments)
    assert check().monthly_instalment == largest


def test_existing_payments_count_towards_the_ratio() -> None:
    result = check("80000", term=12, band="A", existing_payments=Money.of("1000"))
    # 7,107.93 + 1,000 on 10,000 of income: 81.08%.
    assert not result.eligible and result.reasons == (DSR_REASON,)
    assert result.debt_service_ratio == D("0.8108")
    assert result.max_amount == Money.of("39300")


def test_income_below_the_minimum_leaves_no_amount() -> None:
    result = check(income="2500")
    assert not result.eligible
    assert result.reasons == ("Your income is below our minimum of TTD 3,000 a month.",)
    assert result.max_amount is None


def test_band_the_product_does_not_lend_to() -> None:
    result = check(band="E")
    assert not result.eligible and result.max_amount is None
    assert result.reasons == ("This product is not available for your credit profile.",)
    assert result.monthly_instalment is None


def test_amount_over_the_band_limit_is_priced_and_refused() -> None:
    result = check("100000", term=60, band="C", income="20000")
    assert not result.eligible
    assert result.reasons == ("The amount asked for is above the limit for your credit profile.",)
    assert result.monthly_instalment is not None
    assert result.max_amount == Money.of("80000")  # band C's limit


def test_age_at_maturity_only_with_a_date_of_birth() -> None:
    assert check(term=60).eligible
    older = check(term=60, date_of_birth=dt.date(1958, 1, 1))
    assert not older.eligible
    assert older.reasons == ("You would be older than 70 when the loan ends.",)


def test_product_minimum_is_a_candidate_between_steps() -> None:
    result = prequalify(RULES, MICRO, amount=Money.of("2000"), term=12, band="A",
                        monthly_income=Money.of("3000"), today=TODAY)
    assert result.max_amount is not None and result.max_amount.amount % 100 == 0
    assert result.eligible


@pytest.mark.parametrize(("changes", "message"), [
    ({"amount": "4999"}, "lends from TTD 5,000.00 to TTD 150,000.00"),
    ({"amount": "150000.01"}, "TTD 150,000.01 is outside that"),
    ({"term": 61}, "runs from 12 to 60 instalments; 61 is outside that"),
    ({"band": "Z"}, "'Z' is not a risk band"),
    ({"income": "-1"}, "monthly income must be an amount in TTD"),
])
def test_refusals(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check(**changes)


def test_income_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="monthly income must be an amount in TTD"):
        prequalify(RULES, PERSONAL, amount=Money.of("20000"), term=24, band="B",
                   monthly_income=Money.of("10000", "USD"), today=TODAY)


def test_indicative_band_is_the_lowest_rate_the_product_lends_at() -> None:
    assert indicative_band(PERSONAL) == "A"
    promo = next(p for p in PRODUCTS if p.code == "HP_PROMO")  # every band at 0%: the first
    assert indicative_band(promo) == "A"
