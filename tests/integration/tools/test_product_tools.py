"""Product tools: the catalogue, quotes priced by core, and the soft pre-qualification."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.loans.calculator import calculate_for_product
from core.money import Money
from tests.integration.tools.support import TT, borrower, call, context, lender, snapshot
from tools.products import list_products, prequalify, quote_loan

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=TT)
PERSONAL_QUOTE = {
    "product": "PERSONAL", "product_name": "Personal Loan", "amount": "20000.00",
    "term_months": 24, "term_unit": "months", "instalment": "941.47", "frequency": "monthly",
    "instalments": 24, "first_due_date": "2025-07-02", "annual_rate": "12.00%",
    "apr": "14.99%", "total_repayable": "22595.27", "total_cost_of_credit": "2995.27",
    "fees": [{"name": "Origination fee", "amount": "400.00",
              "how_paid": "deducted from the amount paid out to you"}],
    "disbursed_amount": "19600.00", "currency": "TTD", "band": "A", "indicative": True,
}


async def test_list_products(session: AsyncSession) -> None:
    await lender(session, NOW)
    result = await call(list_products, context(session, now=NOW))
    rows = {row["code"]: row for row in result["products"]}
    assert list(rows) == ["AUTO", "DEBT_CONSOLIDATION", "HP_PROMO", "HP_STANDARD",
                          "MICRO_BUSINESS", "PERSONAL", "SALARY_ADVANCE"]
    assert rows["PERSONAL"] == {
        "code": "PERSONAL", "name": "Personal Loan",
        "description": "For any personal purpose: monthly instalments over one to five years.",
        "min_amount": "5000.00", "max_amount": "150000.00", "currency": "TTD",
        "min_term_months": 12, "max_term_months": 60, "term_unit": "months",
        "frequency": "monthly", "rate_from": "12.00%", "rate_to": "21.00%",
        "hire_purchase": False}
    assert (rows["MICRO_BUSINESS"]["term_unit"], rows["MICRO_BUSINESS"]["rate_to"]) == (
        "weeks", "30.00%")


async def test_indicative_quote_is_cores_calculation(session: AsyncSession) -> None:
    await lender(session, NOW)
    before = await snapshot(session)
    quote = await call(quote_loan, context(session, now=NOW), product="personal",
                       amount="TTD 20,000", term_months=24)
    assert quote == PERSONAL_QUOTE
    core = await calculate_for_product(session, product_code="PERSONAL",
                                       amount=Money.of(20000), term=24, start_date=NOW.date())
    assert quote["instalment"] == str(core.schedule.instalments[0].total.amount)
    assert quote["total_repayable"] == str(core.schedule.totals.payable.amount)
    assert quote["disbursed_amount"] == str(core.disbursed.amount)
    assert await snapshot(session) == before


async def test_quote_accepts_a_whole_number_but_never_a_float(session: AsyncSession) -> None:
    await lender(session, NOW)
    whole = await call(quote_loan, context(session, now=NOW), product="PERSONAL",
                       amount=20000, term_months=24)
    assert whole["instalment"] == "941.47"
    with pytest.raises(pydantic.ValidationError, match="send the amount as text"):
        await call(quote_loan, context(session, now=NOW), product="PERSONAL",
                   amount=20000.5, term_months=24)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"amount": "-5000"}, "The amount must be more than zero; '-5000' is not."),
    ({"amount": "0"}, "The amount must be more than zero; '0' is not."),
    ({"amount": "lots"}, "'lots' is not an amount in TTD; use digits with up to two "
                         "decimals, e.g. 5000 or 5000.50."),
    ({"amount": "5000.555"}, "'5000.555' is not an amount in TTD; use digits with up to two "
                             "decimals, e.g. 5000 or 5000.50."),
    ({"amount": "4000"}, "Amount TTD 4,000.00 is below this product's minimum of "
                         "TTD 5,000.00."),
    ({"term_months": 61}, "A term of 61 months is outside 12–60 months."),
    ({"product": "NOPE"}, "There is no loan product 'NOPE'."),
])
async def test_quote_refusals(session: AsyncSession, arguments: dict[str, object],
                              message: str) -> None:
    await lender(session, NOW)
    result = await call(quote_loan, context(session, now=NOW),
                        **{"product": "PERSONAL", "amount": "20000", "term_months": 24,
                           **arguments})
    assert result["error"] == message


async def test_prequalify_one_product(session: AsyncSession) -> None:
    await lender(session, NOW)
    before = await snapshot(session)
    result = await call(prequalify, context(session, now=NOW), monthly_income="10000",
                        amount="20000", term_months=24, product="PERSONAL")
    assert result == {
        "product": "PERSONAL", "product_name": "Personal Loan", "eligible": True,
        "max_amount": "95600.00", "instalment": "941.47", "frequency": "monthly",
        "reasons": [], "currency": "TTD", "band": "A", "indicative": True}
    assert await snapshot(session) == before


async def test_prequalify_every_cash_product_that_fits(session: AsyncSession) -> None:
    await lender(session, NOW)
    result = await call(prequalify, context(session, now=NOW), monthly_income="10000",
                        amount="20000", term_months=24)
    assert [(p["product"], p["eligible"], p["max_amount"]) for p in result["products"]] == [
        ("AUTO", True, "98000.00"), ("DEBT_CONSOLIDATION", True, "96500.00"),
        ("MICRO_BUSINESS", True, "21200.00"), ("PERSONAL", True, "95600.00")]
    assert result["product"] == "AUTO"


async def test_prequalify_says_why_not(session: AsyncSession) -> None:
    await lender(session, NOW)
    low = await call(prequalify, context(session, now=NOW), monthly_income="2500",
                     amount="20000", term_months=24, product="PERSONAL")
    assert (low["eligible"], low["max_amount"]) == (False, None)
    assert low["reasons"] == ["Your income is below our minimum of TTD 3,000 a month."]
    high = await call(prequalify, context(session, now=NOW), monthly_income="10000",
                      amount="150000", term_months=12, product="PERSONAL")
    assert (high["eligible"], high["max_amount"], high["instalment"]) == (
        False, "50600.00", "13327.32")
    assert high["reasons"] == [
        "Your debt repayments, including this loan, would be more than 45% of your income."]


async def test_prequalify_for_a_verified_borrower_counts_their_age(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    senior = await borrower(session, today=NOW.date())
    senior.date_of_birth = dt.date(1957, 1, 1)
    await session.flush()
    result = await call(prequalify, context(session, now=NOW, customer=senior),
                        monthly_income="10000", amount="20000", term_months=60,
                        product="PERSONAL")
    assert result["reasons"] == ["You would be older than 70 when the loan ends."]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"monthly_income": "-1"}, "The income must be more than zero; '-1' is not."),
    ({"amount": "abc"}, "'abc' is not an amount in TTD; use digits with up to two decimals, "
                        "e.g. 5000 or 5000.50."),
    ({"term_months": 400}, "None of our loans lends TTD 20,000.00 over 400 instalments; "
                           "list_products shows what each one lends."),
    ({"product": "PERSONAL", "term_months": 6},
     "The Personal Loan runs from 12 to 60 instalments; 6 is outside that."),
])
async def test_prequalify_refusals(session: AsyncSession, arguments: dict[str, object],
                                   message: str) -> None:
    await lender(session, NOW)
    result = await call(prequalify, context(session, now=NOW),
                        **{"monthly_income": "10000", "amount": "20000", "term_months": 24,
                           **arguments})
    assert result["error"] == message
