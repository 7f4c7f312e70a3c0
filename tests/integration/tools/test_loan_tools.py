"""Loan tools: balances, the next payment, the schedule and the payoff, read as of today
without writing, for the verified borrower's own loans only.

The loan: TTD 10,000 at 12% over 12 months from 31 December 2023, instalments of 888.49
at month ends. On 10 February 2024 nothing has been paid: 10 days past due, 888.49 overdue,
131.76 of interest accrued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.loans.repayment import record_repayment
from core.loans.servicing import run_servicing
from core.loans.settlement import settlement_quote as core_quote
from core.money import Money
from tests.integration.tools.support import (
    ACTOR,
    TT,
    borrower,
    call,
    context,
    lender,
    loan_for,
    snapshot,
)
from tools.loans import loan_balance, next_payment, payment_schedule, settlement_quote

NOW = dt.datetime(2024, 2, 10, 11, 0, tzinfo=TT)


async def test_balance_as_of_today_writes_nothing(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha)
    before = await snapshot(session)
    result = await call(loan_balance, context(session, now=NOW, customer=asha))
    assert result == {"loans": [{
        "loan_id": loan.id, "loan_number": loan.number, "product_name": "Personal Loan",
        "status": "active", "principal_outstanding": "10000.00", "interest_due": "131.76",
        "fees_due": "0.00", "late_fees_due": "0.00", "credit_balance": "0.00",
        "total_outstanding": "10131.76", "overdue_amount": "888.49", "days_past_due": 10,
        "currency": "TTD", "as_of": "2024-02-10"}]}
    assert await snapshot(session) == before  # servicing through today was rolled back


async def test_a_loan_serviced_through_today_reads_the_same_without_catching_up(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    turn = context(session, now=NOW, customer=asha)
    caught_up = await call(loan_balance, turn)
    schedule_caught_up = await call(payment_schedule, turn)
    await run_servicing(session, as_of=NOW.date(), actor=ACTOR)  # the nightly run, done
    before = await snapshot(session)
    assert await call(loan_balance, turn) == caught_up
    assert await call(payment_schedule, turn) == schedule_caught_up
    assert await snapshot(session) == before


async def test_several_loans_most_overdue_first(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    recent = await loan_for(session, asha, start=dt.date(2024, 1, 20))
    overdue = await loan_for(session, asha)
    turn = context(session, now=NOW, customer=asha)
    balances = await call(loan_balance, turn)
    assert [row["loan_id"] for row in balances["loans"]] == [overdue.id, recent.id]
    upcoming = await call(next_payment, turn)
    assert upcoming == {
        "loan_id": overdue.id, "loan_number": overdue.number, "due_date": "2024-02-29",
        "amount_due": "888.49", "overdue_amount": "888.49", "days_past_due": 10,
        "currency": "TTD", "other_loans": [recent.id]}
    chosen = await call(next_payment, turn, loan_id=recent.id)
    assert (chosen["due_date"], chosen["overdue_amount"], chosen["other_loans"]) == (
        "2024-02-20", "0.00", [])


async def test_schedule_upcoming_and_all(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha, term=24)
    await run_servicing(session, as_of=dt.date(2024, 2, 5), actor=ACTOR)
    await record_repayment(session, loan_id=loan.id, amount=Money.of("470.73"),
                           paid_on=dt.date(2024, 2, 5), idempotency_key="paid-1", actor=ACTOR)
    turn = context(session, now=NOW, customer=asha)
    upcoming = await call(payment_schedule, turn)
    assert [(r["number"], r["due_date"], r["status"]) for r in upcoming["instalments"][:3]] == [
        (2, "2024-02-29", "upcoming"), (3, "2024-03-31", "upcoming"),
        (4, "2024-04-30", "upcoming")]
    assert upcoming["instalments"][0] == {"number": 2, "due_date": "2024-02-29",
                                          "amount": "470.73", "unpaid": "470.73",
                                          "status": "upcoming"}
    assert (len(upcoming["instalments"]), upcoming["more"]) == (12, 11)
    everything = await call(payment_schedule, turn, upcoming_only=False)
    assert everything["instalments"][0] == {"number": 1, "due_date": "2024-01-31",
                                            "amount": "470.73", "unpaid": "0.00",
                                            "status": "paid"}
    assert everything["more"] == 12


async def test_settlement_quote_is_cores_payoff(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha, settlement_fee="0.02")
    before = await snapshot(session)
    result = await call(settlement_quote, context(session, now=NOW, customer=asha))
    core = await core_quote(session, loan_id=loan.id, as_of=NOW.date())
    assert result == {
        "loan_id": loan.id, "loan_number": loan.number,
        "payoff_amount": str(core.total.amount), "valid_until": "2024-02-10",
        "currency": "TTD",
        "breakdown": {"principal": "10000.00", "interest": "131.76", "fees": "0.00",
                      "late_fees": "0.00", "settlement_fee": "184.23", "credit_used": "0.00"},
        "other_loans": []}
    # 2% of the 9,211.51 of principal not yet due, on top of the 10,131.76 owed.
    assert result["payoff_amount"] == "10315.99"
    assert await snapshot(session) == before


async def test_another_customers_loan_is_answered_as_missing(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    ravi = await borrower(session, today=NOW.date(), national_id="TT00000012")
    his = await loan_for(session, ravi)
    turn = context(session, now=NOW, customer=asha)
    before = await snapshot(session)
    for tool in (loan_balance, next_payment, payment_schedule, settlement_quote):
        theirs = await call(tool, turn, loan_id=his.id)
        missing = await call(tool, turn, loan_id=his.id + 1000)
        assert theirs == {"error": f"You have no loan {his.id} with us.",
                          "kind": "NotFoundError"}
        assert missing == {"error": f"You have no loan {his.id + 1000} with us.",
                           "kind": "NotFoundError"}
    assert (await call(next_payment, turn))["error"] == "You have no active loan with us."
    assert await snapshot(session) == before


async def test_unverified_borrower_sees_nothing(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    claimed = context(session, now=NOW, claimed=asha)
    for tool in (loan_balance, next_payment, payment_schedule, settlement_quote):
        assert await call(tool, claimed) == {
            "error": "I need to confirm who you are before I can do that.",
            "kind": "PermissionDenied"}
