"""Reversals undo a transaction exactly (sub-ledger and GL); statements run on the balance.

Loan: TTD 10,000 at 12% over 12 months from 15 January 2024 (instalment 888.49).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError, ValidationError
from core.loans.models import Instalment, LoanStatus, LoanTransaction, TransactionType
from core.loans.repayment import record_repayment
from core.loans.reversal import reverse_transaction
from core.loans.servicing import run_servicing
from core.loans.settlement import settle
from core.loans.statement import statement
from core.loans.writeoff import write_off
from core.products.spec import OverpaymentHandling
from tests.integration.servicing_book import (
    ACTOR,
    assert_books_agree,
    fresh,
    journal,
    m,
    open_book,
    open_loan,
    rows,
    table_counts,
)

FEB_15, MAR_20 = dt.date(2024, 2, 15), dt.date(2024, 3, 20)
BALANCES = ("principal_outstanding", "interest_receivable", "fees_outstanding",
            "penalties_outstanding", "credit_balance", "days_past_due", "arrears_amount",
            "oldest_unpaid_due_date", "status", "schedule_version", "maturity_date")


def snapshot(row: Instalment) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in Instalment.__table__.columns}


async def state(session: AsyncSession, loan_id: int) -> tuple[list[dict[str, Any]], tuple]:
    loan = await fresh(session, loan_id)
    return ([snapshot(r) for r in await rows(session, loan_id)],
            tuple(getattr(loan, name) for name in BALANCES))


async def reverse(session: AsyncSession, transaction: LoanTransaction,
                  on: dt.date = MAR_20) -> LoanTransaction:
    return await reverse_transaction(session, transaction_id=transaction.id, on=on,
                                     reason="entered in error", actor=ACTOR)


async def test_reversing_a_repayment_restores_the_instalments_exactly(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, late_fee="50.00", grace_days=3)
    await run_servicing(session, as_of=MAR_20)
    before = await state(session, loan.id)
    payment = await record_repayment(session, loan_id=loan.id, amount=m("1000.00"),
                                     paid_on=MAR_20, idempotency_key="p-1", actor=ACTOR)
    assert await state(session, loan.id) != before
    reversal = await reverse(session, payment)
    assert await state(session, loan.id) == before
    # The mirror of the payment's entry:
    # Dr 1210 788.49, Dr 1220 111.51, Dr 1240 100.00 / Cr 1110 1,000.00
    assert await journal(session, reversal) == [
        ("1110", "cr", "1000.00"), ("1210", "dr", "788.49"), ("1220", "dr", "111.51"),
        ("1240", "dr", "100.00")]
    assert (reversal.type, reversal.reverses_transaction_id) == (
        TransactionType.REVERSAL, payment.id)
    assert reversal.balance_change == Decimal("1000.00")
    assert (await session.get(LoanTransaction, payment.id)).reversed  # type: ignore[union-attr]

    counts = await table_counts(session)
    with pytest.raises(ConflictError, match=f"already reversed by transaction {reversal.id}"):
        await reverse(session, payment)
    with pytest.raises(ConflictError, match="itself a reversal"):
        await reverse(session, reversal)
    late_fee = await session.scalar(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.PENALTY))
    assert late_fee is not None
    with pytest.raises(ValidationError, match="before the transaction"):
        await reverse(session, late_fee, on=FEB_15)
    assert await table_counts(session) == counts
    await assert_books_agree(session)


async def test_reversing_a_prepayment_brings_back_the_old_schedule(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, overpayment=OverpaymentHandling.PREPAY)
    await run_servicing(session, as_of=FEB_15)
    before = await state(session, loan.id)
    payment = await record_repayment(session, loan_id=loan.id, amount=m("2000.00"),
                                     paid_on=FEB_15, idempotency_key="p-1", actor=ACTOR)
    assert len(await rows(session, loan.id)) == 11
    await reverse(session, payment, on=FEB_15)
    assert await state(session, loan.id) == before
    assert len(await rows(session, loan.id)) == 12
    await assert_books_agree(session)


async def test_a_late_fee_reversed_is_waived_for_good(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, late_fee="50.00", grace_days=3)
    await run_servicing(session, as_of=dt.date(2024, 2, 20))
    fee = await session.scalar(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.PENALTY))
    assert fee is not None
    reversal = await reverse(session, fee, on=dt.date(2024, 2, 21))
    # Built from the run's rule for this one loan: Dr 4300 50.00 / Cr 1240 50.00
    assert await journal(session, reversal) == [("1240", "cr", "50.00"), ("4300", "dr", "50.00")]
    await run_servicing(session, as_of=dt.date(2024, 2, 25))
    loan = await fresh(session, loan.id)
    assert loan.penalties_outstanding == Decimal("0.00")
    assert loan.arrears_amount == Decimal("888.49")
    await assert_books_agree(session)


async def test_later_activity_blocks_a_reversal_with_a_clear_message(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    await run_servicing(session, as_of=FEB_15)
    accrual = await session.scalar(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.ACCRUAL))
    payment = await record_repayment(session, loan_id=loan.id, amount=m("888.49"),
                                     paid_on=FEB_15, idempotency_key="p-1", actor=ACTOR)
    disbursement = await session.scalar(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.DISBURSEMENT))
    assert accrual is not None and disbursement is not None
    counts = await table_counts(session)
    with pytest.raises(ConflictError, match="interest that has been paid since"):
        await reverse(session, accrual)
    with pytest.raises(ConflictError, match="later transaction"):
        await reverse(session, disbursement)
    assert await table_counts(session) == counts

    await reverse(session, payment)
    await reverse(session, accrual)
    cancelled = await reverse(session, disbursement)
    # Dr 1110 10,000.00 / Cr 1210 10,000.00
    assert await journal(session, cancelled) == [("1110", "dr", "10000.00"),
                                                 ("1210", "cr", "10000.00")]
    loan = await fresh(session, loan.id)
    assert loan.status is LoanStatus.CANCELLED and loan.principal_outstanding == Decimal(0)
    assert await rows(session, loan.id) == []
    await assert_books_agree(session)


async def test_reversing_a_write_off_or_a_settlement_reopens_the_loan(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    await run_servicing(session, as_of=MAR_20)
    before = await state(session, loan.id)
    written_off = await write_off(session, loan_id=loan.id, as_of=MAR_20, reason="x",
                                  actor=ACTOR)
    await reverse(session, written_off)
    assert await state(session, loan.id) == before
    settled = await settle(session, loan_id=loan.id, as_of=MAR_20, idempotency_key="s",
                           actor=ACTOR)
    assert (await fresh(session, loan.id)).status is LoanStatus.SETTLED
    await reverse(session, settled)
    assert await state(session, loan.id) == before
    await assert_books_agree(session)


async def test_statement_runs_from_opening_to_closing_balance(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    await run_servicing(session, as_of=dt.date(2024, 1, 31))  # 51.61 accrued
    await record_repayment(session, loan_id=loan.id, amount=m("888.49"), paid_on=FEB_15,
                           idempotency_key="p-1", actor=ACTOR)
    await run_servicing(session, as_of=dt.date(2024, 2, 29))  # 92.12 × 14/29 = 44.47
    result = await statement(session, loan_id=loan.id, start=dt.date(2024, 2, 1),
                             end=dt.date(2024, 2, 29))
    assert result.opening_balance == m("10051.61")
    assert [(line.date, line.type, str(line.change.amount), str(line.balance.amount))
            for line in result.lines] == [
        (FEB_15, TransactionType.ACCRUAL, "48.39", "10100.00"),
        (FEB_15, TransactionType.REPAYMENT, "-888.49", "9211.51"),
        (dt.date(2024, 2, 29), TransactionType.ACCRUAL, "44.47", "9255.98"),
    ]
    assert result.closing_balance == m("9255.98")
    loan = await fresh(session, loan.id)
    assert loan.principal_outstanding + loan.interest_receivable == Decimal("9255.98")
    with pytest.raises(ValidationError, match="before it starts"):
        await statement(session, loan_id=loan.id, start=FEB_15, end=dt.date(2024, 2, 1))


async def test_a_prepayment_after_a_reversed_one_gets_a_new_schedule_version(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, overpayment=OverpaymentHandling.PREPAY, term=3)
    day = dt.date(2024, 1, 15)
    first = await record_repayment(session, loan_id=loan.id, amount=m("0.02"), paid_on=day,
                                   idempotency_key="p-1", actor=ACTOR)
    await reverse(session, first, on=day)
    await record_repayment(session, loan_id=loan.id, amount=m("0.01"), paid_on=day,
                           idempotency_key="p-2", actor=ACTOR)
    versions = sorted({(r.version, r.status.value) for r in await rows(session, loan.id,
                                                                          live=False)})
    assert versions == [(1, "cancelled"), (1, "pending"), (2, "cancelled"), (3, "pending")]
    assert (await fresh(session, loan.id)).schedule_version == 3
    await assert_books_agree(session)
