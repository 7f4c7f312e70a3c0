"""The servicing run: daily accrual, due processing, late fees, days past due, idempotency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.loans.models import (
    Allocation,
    InstalmentStatus,
    LoanTransaction,
    ServicingRun,
    TransactionType,
)
from core.loans.servicing import run_servicing
from tests.integration.servicing_book import (
    assert_books_agree,
    entries_keyed,
    fresh,
    gl,
    m,
    open_book,
    open_loan,
    rows,
    table_counts,
)


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


async def test_daily_accrual_reaches_exactly_the_scheduled_interest_on_each_due_date(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)  # interest 100.00 to 15 Feb, 92.12 to 15 Mar
    for day in days(dt.date(2024, 1, 16), dt.date(2024, 3, 15)):
        await run_servicing(session, as_of=day)
        if day == dt.date(2024, 1, 31):  # 16 of 31 days: 100.00 × 16/31 = 51.61
            assert (await fresh(session, loan.id)).interest_receivable == Decimal("51.61")
    first, second, third = (await rows(session, loan.id))[:3]
    assert (first.interest_accrued, second.interest_accrued, third.interest_accrued) == (
        Decimal("100.00"), Decimal("92.12"), Decimal("0.00"))
    daily = list(await session.scalars(
        select(Allocation.amount).where(Allocation.instalment_id == second.id)))
    assert len(daily) == 29 and sum(daily) == Decimal("92.12") and min(daily) >= 0
    assert set(daily) == {Decimal("3.17"), Decimal("3.18")}  # 92.12/29 = 3.1765…
    loan = await fresh(session, loan.id)
    assert loan.interest_receivable == Decimal("192.12")
    assert loan.accrued_through == dt.date(2024, 3, 15)
    # One entry per night: Dr 1220 Interest receivable / Cr 4100 Interest income.
    assert len(await entries_keyed(session, "servicing:")) == 60
    balances = await gl(session)
    assert (balances["1220"], balances["4100"]) == (m("192.12"), m("192.12"))
    await assert_books_agree(session)


async def test_a_second_run_for_the_same_date_changes_nothing(session: AsyncSession) -> None:
    book = await open_book(session)
    for _ in range(3):
        await open_loan(session, book, late_fee="25.00")
    first = await run_servicing(session, as_of=dt.date(2024, 3, 20))
    assert first.run_id is not None and first.late_fees == m("150.00")
    before = await table_counts(session)
    loans = (await session.execute(text("SELECT * FROM loans ORDER BY id"))).all()
    again = await run_servicing(session, as_of=dt.date(2024, 3, 20))
    assert again.run_id is None and not again.changed
    assert (again.interest_accrued, again.late_fees) == (m("0.00"), m("0.00"))
    assert await table_counts(session) == before
    assert (await session.execute(text("SELECT * FROM loans ORDER BY id"))).all() == loans
    runs = await session.scalar(select(func.count()).select_from(ServicingRun))
    assert runs == 1
    assert await session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "loans.servicing_run")) == 1
    await assert_books_agree(session)


async def test_days_past_due_and_arrears_across_month_ends(session: AsyncSession) -> None:
    book = await open_book(session)
    # From 31 January: due 29 Feb, 31 Mar, 30 Apr (monthly, clipped to the month's end).
    loan = await open_loan(session, book, start=dt.date(2024, 1, 31), late_fee="40.00",
                           grace_days=2)
    expected = {
        dt.date(2024, 2, 29): (0, dt.date(2024, 2, 29), "0.00", "0.00"),  # due today
        dt.date(2024, 3, 1): (1, dt.date(2024, 2, 29), "888.49", "0.00"),
        dt.date(2024, 3, 2): (2, dt.date(2024, 2, 29), "888.49", "0.00"),
        dt.date(2024, 3, 3): (3, dt.date(2024, 2, 29), "928.49", "40.00"),  # grace over
        dt.date(2024, 3, 31): (31, dt.date(2024, 2, 29), "928.49", "40.00"),
        dt.date(2024, 4, 1): (32, dt.date(2024, 2, 29), "1816.98", "40.00"),
        dt.date(2024, 5, 1): (62, dt.date(2024, 2, 29), "2745.47", "80.00"),  # 3rd in grace
    }
    for day, (dpd, oldest, arrears, penalties) in expected.items():
        await run_servicing(session, as_of=day)
        current = await fresh(session, loan.id)
        assert (current.days_past_due, current.oldest_unpaid_due_date, current.arrears_amount,
                current.penalties_outstanding) == (dpd, oldest, Decimal(arrears),
                                                   Decimal(penalties)), day
    late_fees = list(await session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.PENALTY)))
    # The second fee falls on the first run after its grace: 1 May (no run from 2 to 30 April).
    assert [t.effective_date for t in late_fees] == [dt.date(2024, 3, 3), dt.date(2024, 5, 1)]
    statuses = [r.status for r in await rows(session, loan.id)][:4]
    assert statuses == [InstalmentStatus.DUE] * 3 + [InstalmentStatus.PENDING]
    await assert_books_agree(session)


async def test_a_run_after_missed_nights_catches_up_to_the_same_figures(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    nightly = await open_loan(session, book)
    for day in days(dt.date(2024, 1, 16), dt.date(2024, 2, 20)):
        await run_servicing(session, as_of=day)
    missed = await open_loan(session, book)  # the same loan, never serviced yet
    await run_servicing(session, as_of=dt.date(2024, 2, 20))
    a, b = await fresh(session, nightly.id), await fresh(session, missed.id)
    assert a.interest_receivable == b.interest_receivable == Decimal("115.88")  # + 92.12×5/29
    assert (a.days_past_due, a.arrears_amount) == (b.days_past_due, b.arrears_amount) == (
        5, Decimal("888.49"))
    await assert_books_agree(session)
