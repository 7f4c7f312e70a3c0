"""Early settlement, restructuring, write-off and recovery, with their journal entries.

Loan: TTD 10,000 at 12% over 12 months from 15 January 2024; instalment 1 (15 Feb:
788.49 + 100.00) is paid on time in every scenario.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError, ValidationError
from core.loans.models import InstalmentStatus, Loan, LoanStatus
from core.loans.repayment import record_repayment
from core.loans.restructure import restructure
from core.loans.servicing import run_servicing
from core.loans.settlement import settle, settlement_quote
from core.loans.writeoff import record_recovery, write_off
from tests.integration.servicing_book import (
    ACTOR,
    Book,
    assert_books_agree,
    fresh,
    journal,
    m,
    open_book,
    open_loan,
    rows,
    table_counts,
)

FEB_15, MAR_1, MAR_20 = dt.date(2024, 2, 15), dt.date(2024, 3, 1), dt.date(2024, 3, 20)


async def first_paid(session: AsyncSession, book: Book, **options: str) -> Loan:
    loan = await open_loan(session, book, **options)  # type: ignore[arg-type]
    await record_repayment(session, loan_id=loan.id, amount=m("888.49"), paid_on=FEB_15,
                           idempotency_key=f"first-{loan.id}", actor=ACTOR)
    return loan


async def test_early_settlement_quote_and_settling_with_it(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await first_paid(session, book, settlement_fee="0.02")
    before = await table_counts(session)
    quote = await settlement_quote(session, loan_id=loan.id, as_of=MAR_1)
    # principal 9,211.51 + interest 92.12 × 15/29 = 47.64 + fee 2% × 9,211.51 = 184.23
    assert (quote.principal, quote.interest, quote.settlement_fee, quote.credit) == (
        m("9211.51"), m("47.64"), m("184.23"), m("0.00"))
    assert quote.total == m("9443.38")
    assert await table_counts(session) == before  # a quote changes nothing

    with pytest.raises(ValidationError, match=r"is TTD 9,443\.38, not TTD 9,400\.00"):
        await settle(session, loan_id=loan.id, as_of=MAR_1, idempotency_key="s-1",
                     actor=ACTOR, amount=m("9400.00"))
    assert await table_counts(session) == before
    settlement = await settle(session, loan_id=loan.id, as_of=MAR_1, idempotency_key="s-1",
                              actor=ACTOR, amount=m("9443.38"))
    # Dr 1230 184.23 / Cr 4220 184.23 (the fee), then
    # Dr 1110 9,443.38 / Cr 1230 184.23, Cr 1220 47.64, Cr 1210 9,211.51
    assert await journal(session, settlement) == [
        ("1110", "dr", "9443.38"), ("1210", "cr", "9211.51"), ("1220", "cr", "47.64"),
        ("1230", "cr", "184.23"), ("1230", "dr", "184.23"), ("4220", "cr", "184.23")]
    loan = await fresh(session, loan.id)
    assert (loan.status, loan.closed_on) == (LoanStatus.SETTLED, MAR_1)
    assert (loan.principal_outstanding, loan.interest_receivable) == (Decimal(0), Decimal(0))
    assert {r.status for r in await rows(session, loan.id)} == {InstalmentStatus.PAID}
    assert settlement.balance_change == Decimal("-9259.15")  # what was owed: 9,211.51 + 47.64
    after = await table_counts(session)
    await run_servicing(session, as_of=dt.date(2024, 4, 30))  # a settled loan earns nothing
    assert (await table_counts(session))["loan_transactions"] == after["loan_transactions"]
    with pytest.raises(ConflictError, match="settled"):
        await settlement_quote(session, loan_id=loan.id, as_of=MAR_20)
    await assert_books_agree(session)


async def test_restructure_capitalising_arrears(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await first_paid(session, book, late_fee="50.00", grace_days=3)
    await run_servicing(session, as_of=MAR_20)  # instalment 2 (15 Mar) unpaid, fee 50.00
    old = await rows(session, loan.id)
    transaction = await restructure(
        session, loan_id=loan.id, as_of=MAR_20, term=18, reason="hardship: reduced hours",
        actor=ACTOR, capitalise_arrears=True)
    # Moved into the new schedule: principal not yet due 8,415.14, plus the arrears of
    # instalment 2: principal 796.37, interest 92.12, late fee 50.00 → 9,353.63.
    assert transaction.amount == Decimal("9353.63")
    # Dr 1210 142.12 / Cr 1220 92.12, Cr 1240 50.00 (interest and fee capitalised)
    assert await journal(session, transaction) == [
        ("1210", "dr", "142.12"), ("1220", "cr", "92.12"), ("1240", "cr", "50.00")]
    new = [r for r in await rows(session, loan.id) if r.version == 2]
    assert len(new) == 18 and new[0].due_date == dt.date(2024, 4, 20)
    # First new instalment: 9,353.63 × 1% = 93.54, plus 13.57 accrued 15–20 March on the
    # cancelled instalment 3 (84.15 × 5/31), carried over and already accrued.
    assert (new[0].interest_due, new[0].interest_carried, new[0].interest_accrued) == (
        Decimal("107.11"), Decimal("13.57"), Decimal("13.57"))
    assert sum(r.principal_due for r in new) == Decimal("9353.63")
    replaced = [r for r in await rows(session, loan.id, live=False)
                if r.cancelled_by_transaction_id == transaction.id]
    assert [r.number for r in replaced] == list(range(3, 13))
    second = next(r for r in await rows(session, loan.id) if r.id == old[1].id)
    assert second.status is InstalmentStatus.PAID
    loan = await fresh(session, loan.id)
    assert (loan.status, loan.schedule_version, loan.term) == (LoanStatus.ACTIVE, 2, 18)
    assert (loan.days_past_due, loan.arrears_amount) == (0, Decimal("0.00"))
    assert loan.principal_outstanding == Decimal("9353.63")
    assert loan.interest_receivable == Decimal("13.57")
    assert transaction.details is not None and transaction.details["before"]["term"] == 12
    await run_servicing(session, as_of=dt.date(2024, 4, 20))
    first_new = next(r for r in await rows(session, loan.id) if r.id == new[0].id)
    assert (first_new.interest_accrued, first_new.status) == (
        Decimal("107.11"), InstalmentStatus.DUE)
    await assert_books_agree(session)


async def test_restructure_without_capitalising_leaves_arrears_due(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await first_paid(session, book)
    await run_servicing(session, as_of=MAR_20)
    await restructure(session, loan_id=loan.id, as_of=MAR_20, term=24, reason="lower rate",
                      actor=ACTOR, annual_rate=Decimal("0.09"))
    loan = await fresh(session, loan.id)
    assert (loan.days_past_due, loan.arrears_amount) == (5, Decimal("888.49"))
    assert loan.principal_outstanding == Decimal("9211.51")  # 796.37 due + 8,415.14 new
    assert loan.annual_rate == Decimal("0.09")
    await assert_books_agree(session)


async def test_bad_restructures_are_refused_and_change_nothing(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await first_paid(session, book)
    before = await table_counts(session)
    with pytest.raises(ValidationError, match="reason"):
        await restructure(session, loan_id=loan.id, as_of=MAR_20, term=12, reason=" ",
                          actor=ACTOR)
    with pytest.raises(ValidationError, match="term"):
        await restructure(session, loan_id=loan.id, as_of=MAR_20, term=0, reason="x",
                          actor=ACTOR)
    assert await table_counts(session) == before


async def test_write_off_through_the_allowance_then_recoveries(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await first_paid(session, book)
    june = dt.date(2024, 6, 1)
    transaction = await write_off(session, loan_id=loan.id, as_of=june, reason="absconded",
                                  actor=ACTOR)
    # Interest accrued to 1 June: 92.12 + 84.15 + 76.11 + 67.98 × 17/31 (37.27) = 289.65.
    # No provisioning ran, so the allowance holds nothing to absorb the principal: all of it
    # goes to expense. Dr 5200 Write-off expense 9,501.16 / Cr 1210 9,211.51, Cr 1220 289.65
    # (tests/integration/test_provisioning.py writes off through a provisioned allowance).
    assert await journal(session, transaction) == [
        ("1210", "cr", "9211.51"), ("1220", "cr", "289.65"), ("5200", "dr", "9501.16")]
    loan = await fresh(session, loan.id)
    assert (loan.status, loan.written_off_amount) == (LoanStatus.WRITTEN_OFF, Decimal("9501.16"))
    assert loan.principal_outstanding == loan.interest_receivable == Decimal(0)

    # A payment after write-off is a recovery: Dr 1110 500.00 / Cr 4400 Recoveries 500.00
    paid = await record_repayment(session, loan_id=loan.id, amount=m("500.00"),
                                  paid_on=dt.date(2024, 7, 1), idempotency_key="r-1",
                                  actor=ACTOR)
    assert await journal(session, paid) == [("1110", "dr", "500.00"), ("4400", "cr", "500.00")]
    before = await table_counts(session)
    with pytest.raises(ValidationError, match=r"Only TTD 9,001\.16 .* still unrecovered"):
        await record_recovery(session, loan_id=loan.id, amount=m("9001.17"),
                              received_on=dt.date(2024, 7, 2), idempotency_key="r-2",
                              actor=ACTOR)
    assert await table_counts(session) == before
    await record_recovery(session, loan_id=loan.id, amount=m("9001.16"),
                          received_on=dt.date(2024, 7, 2), idempotency_key="r-2", actor=ACTOR)
    assert (await fresh(session, loan.id)).recovered_amount == Decimal("9501.16")
    await run_servicing(session, as_of=dt.date(2024, 8, 1))
    assert (await fresh(session, loan.id)).interest_receivable == Decimal(0)
    await assert_books_agree(session)


async def test_write_off_is_refused_with_a_credit_balance_or_twice(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    await record_repayment(session, loan_id=loan.id, amount=m("900.00"), paid_on=FEB_15,
                           idempotency_key="p", actor=ACTOR)
    with pytest.raises(ConflictError, match=r"credit balance of 11\.51"):
        await write_off(session, loan_id=loan.id, as_of=MAR_1, reason="x", actor=ACTOR)
    other = await first_paid(session, book)
    await write_off(session, loan_id=other.id, as_of=MAR_1, reason="x", actor=ACTOR,
                    idempotency_key="w-1")
    with pytest.raises(ConflictError, match="written off"):
        await write_off(session, loan_id=other.id, as_of=MAR_20, reason="x", actor=ACTOR,
                        idempotency_key="w-2")
    with pytest.raises(ConflictError, match="not written off"):
        await record_recovery(session, loan_id=loan.id, amount=m("1.00"), received_on=MAR_1,
                              idempotency_key="r", actor=ACTOR)
    await assert_books_agree(session)
