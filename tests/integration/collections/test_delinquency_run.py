"""The daily delinquency run: days past due across month ends, buckets, the snapshot, cases
opened, moved and closed, portfolio at risk, and a rerun that changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.buckets import Bucket
from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState, CloseReason
from core.collections.models import DelinquencySnapshot
from core.collections.reports import portfolio_at_risk, roll_rates
from core.errors import NotFoundError, ValidationError
from core.loans.models import Loan, LoanStatus
from core.loans.repayment import record_repayment
from core.loans.servicing import run_servicing
from tests.integration.collections.helpers import (
    ACTOR,
    actions,
    audit_count,
    case_of,
    cases_of,
    counts,
    month_end_loans,
)
from tests.integration.servicing_book import fresh, m, rows

D = dt.date


async def snapshot(session: AsyncSession, as_of: dt.date, loan_id: int) -> DelinquencySnapshot:
    row = await session.scalar(select(DelinquencySnapshot).where(
        DelinquencySnapshot.as_of == as_of, DelinquencySnapshot.loan_id == loan_id)
        .execution_options(populate_existing=True))
    assert row is not None
    return row


async def test_days_past_due_across_month_ends(session: AsyncSession) -> None:
    """Due 31 Jan and 29 Feb 2024, nothing paid: current on the due date, 1 day late on
    1 February, 30 days (still 1–30) on 1 March although two instalments are unpaid, 31 days
    (31–60) on 2 March; 90 on 30 April, 91 (90+) on 1 May."""
    (loan,) = await month_end_loans(session)
    expected = [
        (D(2024, 1, 31), 0, Bucket.CURRENT, "0.00"),
        (D(2024, 2, 1), 1, Bucket.DPD_1_30, "888.49"),
        (D(2024, 2, 29), 29, Bucket.DPD_1_30, "888.49"),
        (D(2024, 3, 1), 30, Bucket.DPD_1_30, "1776.98"),
        (D(2024, 3, 2), 31, Bucket.DPD_31_60, "1776.98"),
        (D(2024, 4, 30), 90, Bucket.DPD_61_90, "2665.47"),
        (D(2024, 5, 1), 91, Bucket.DPD_90_PLUS, "3553.96"),
    ]
    for as_of, days, bucket, arrears in expected:
        await run_delinquency(session, as_of=as_of, actor=ACTOR)
        row = await snapshot(session, as_of, loan.id)
        assert (row.days_past_due, row.bucket, str(row.arrears_amount)) == (days, bucket, arrears)
        assert row.principal_outstanding == Decimal("10000.00")


async def test_case_opened_moved_and_closed_when_cured(session: AsyncSession) -> None:
    (loan,) = await month_end_loans(session)
    first = await run_delinquency(session, as_of=D(2024, 1, 31), actor=ACTOR)
    assert first.cases.opened == 0 and await case_of(session, loan_id=loan.id) is None

    opened = await run_delinquency(session, as_of=D(2024, 2, 1), actor=ACTOR)
    assert (opened.cases.opened, opened.cases.moved, opened.cases.closed) == (1, 0, 0)
    case = await case_of(session, loan_id=loan.id)
    assert case is not None and case.number == f"CC-{case.id:06d}"
    assert (case.state, case.bucket, case.days_past_due, case.opened_on) == (
        CaseState.NEW, Bucket.DPD_1_30, 1, D(2024, 2, 1))
    assert case.customer_id == loan.customer_id and case.arrears_amount == Decimal("888.49")
    assert case.priority == 10 + 5 + 10  # 1–30, TTD 500+ in arrears, never contacted

    quiet = await run_delinquency(session, as_of=D(2024, 2, 15), actor=ACTOR)
    assert (quiet.cases.opened, quiet.cases.moved) == (0, 0)
    case = await case_of(session, loan_id=loan.id)
    assert case is not None and case.days_past_due == 15

    moved = await run_delinquency(session, as_of=D(2024, 3, 2), actor=ACTOR)
    assert moved.cases.moved == 1
    case = await case_of(session, loan_id=loan.id)
    assert case is not None and (case.bucket, case.days_past_due) == (Bucket.DPD_31_60, 31)
    assert case.arrears_amount == Decimal("1776.98") and case.priority == 25 + 5 + 10

    await run_servicing(session, as_of=D(2024, 3, 2), actor=ACTOR)
    await record_repayment(session, loan_id=loan.id, amount=m("1776.98"), paid_on=D(2024, 3, 2),
                           idempotency_key="catch-up", actor=ACTOR)
    cured = await run_delinquency(session, as_of=D(2024, 3, 2), actor=ACTOR)
    assert (cured.cases.opened, cured.cases.closed) == (0, 1)
    (closed,) = await cases_of(session, loan.id)
    assert (closed.state, closed.close_reason, closed.closed_on) == (
        CaseState.CLOSED, CloseReason.CURED, D(2024, 3, 2))
    assert await actions(session, "collection_case", closed.id) == [
        "collections.case_opened", "collections.case_moved", "collections.case_closed"]

    again = await run_delinquency(session, as_of=D(2024, 4, 1), actor=ACTOR)
    assert again.cases.opened == 1
    old, new = await cases_of(session, loan.id)
    assert old.state is CaseState.CLOSED and new.state is CaseState.NEW
    assert (new.days_past_due, new.bucket) == (1, Bucket.DPD_1_30)


async def test_rerun_for_the_same_date_changes_nothing(session: AsyncSession) -> None:
    await month_end_loans(session, 3)
    first = await run_delinquency(session, as_of=D(2024, 3, 5), actor=ACTOR)
    assert first.changed and first.cases.opened == 3 and first.snapshot_rows_written == 3
    before_counts, before_audit = await counts(session), await audit_count(session)

    rerun = await run_delinquency(session, as_of=D(2024, 3, 5), actor=ACTOR)
    assert not rerun.changed
    assert (rerun.snapshot_rows_written, rerun.cases.opened, rerun.cases.moved,
            rerun.cases.closed, rerun.cases.rescored) == (0, 0, 0, 0, 0)
    assert await counts(session) == before_counts
    assert await audit_count(session) == before_audit
    assert rerun.par == first.par


async def paid_ahead(session: AsyncSession) -> tuple[Loan, Loan]:
    """Two loans, both with a case opened on 10 February; the first then pays its whole
    schedule, which sits as credit that servicing uses as instalments fall due."""
    loan, other = await month_end_loans(session, 2)
    await run_delinquency(session, as_of=D(2024, 2, 10), actor=ACTOR)
    await run_servicing(session, as_of=D(2024, 2, 10), actor=ACTOR)
    schedule = sum((r.principal_due + r.interest_due for r in await rows(session, loan.id)),
                   Decimal(0))
    assert schedule == Decimal("10661.86")
    await record_repayment(session, loan_id=loan.id, amount=m(str(schedule)),
                           paid_on=D(2024, 2, 10), idempotency_key="all-ahead", actor=ACTOR)
    return loan, other


async def test_paid_off_loan_closes_its_case(session: AsyncSession) -> None:
    loan, _ = await paid_ahead(session)
    await run_servicing(session, as_of=D(2024, 12, 31), actor=ACTOR)
    assert (await fresh(session, loan.id)).status is LoanStatus.PAID_OFF
    result = await run_delinquency(session, as_of=D(2024, 12, 31), actor=ACTOR)
    assert result.cases.closed == 1 and result.par.loans == 1
    (closed,) = await cases_of(session, loan.id)
    assert (closed.state, closed.close_reason, closed.closed_on) == (
        CaseState.CLOSED, CloseReason.PAID_OFF, D(2024, 12, 31))


async def test_rerun_after_a_change_updates_the_day(session: AsyncSession) -> None:
    """Run for 31 December with the loan still active (its last instalment due that day),
    then servicing pays it off: the rerun drops its snapshot row and writes nothing else."""
    loan, other = await paid_ahead(session)
    await run_servicing(session, as_of=D(2024, 12, 30), actor=ACTOR)
    first = await run_delinquency(session, as_of=D(2024, 12, 31), actor=ACTOR)
    assert first.par.loans == 2 and first.cases.closed == 1
    (closed,) = await cases_of(session, loan.id)
    assert closed.close_reason is CloseReason.CURED
    await run_servicing(session, as_of=D(2024, 12, 31), actor=ACTOR)
    rerun = await run_delinquency(session, as_of=D(2024, 12, 31), actor=ACTOR)
    assert (rerun.snapshot_rows_written, rerun.cases.closed, rerun.par.loans) == (1, 0, 1)
    assert [r.loan_id for r in await session.scalars(select(DelinquencySnapshot).where(
        DelinquencySnapshot.as_of == D(2024, 12, 31)))] == [other.id]


async def test_portfolio_at_risk_and_roll_rates(session: AsyncSession) -> None:
    """Four loans of 10,000, each 61 days behind on 1 April, pay on 30 April four, three, two
    and one of the four instalments then due: on 1 May one is current and the others are 1,
    31 and 62 days past due."""
    loans = await month_end_loans(session, 4)
    await run_servicing(session, as_of=D(2024, 4, 30), actor=ACTOR)
    paid = {0: 4, 1: 3, 2: 2, 3: 1}  # instalments paid of the four due by 30 April
    for index, loan in enumerate(loans):
        await record_repayment(session, loan_id=loan.id, amount=m("888.49").times(paid[index]),
                               paid_on=D(2024, 4, 30), idempotency_key=f"pay-{index}",
                               actor=ACTOR)
    await run_delinquency(session, as_of=D(2024, 4, 1), actor=ACTOR)
    result = await run_delinquency(session, as_of=D(2024, 5, 1), actor=ACTOR)
    par = result.par
    by_bucket = {line.bucket: (line.loans, str(line.principal_outstanding))
                 for line in par.buckets}
    principal = {line.bucket: line.principal_outstanding for line in par.buckets}
    assert {b: n for b, (n, _) in by_bucket.items()} == {
        Bucket.CURRENT: 1, Bucket.DPD_1_30: 1, Bucket.DPD_31_60: 1, Bucket.DPD_61_90: 1,
        Bucket.DPD_90_PLUS: 0}
    total = sum(principal.values(), Decimal(0))
    assert par.principal_outstanding == total and par.loans == 4
    par1, par30, par60, par90 = par.par
    assert (par1.name, par1.loans, par1.amount) == (
        "PAR1", 3, total - principal[Bucket.CURRENT])
    assert (par30.loans, par60.loans, par90.loans) == (2, 1, 0)
    assert par30.amount == principal[Bucket.DPD_31_60] + principal[Bucket.DPD_61_90]
    assert par30.percent == (par30.amount * 100 / total).quantize(Decimal("0.01"))
    assert par90.amount == 0 and par90.percent == Decimal("0.00")
    assert await portfolio_at_risk(session, as_of=D(2024, 5, 1)) == par

    rolls = {line.from_bucket: line for line in await roll_rates(
        session, start=D(2024, 4, 1), end=D(2024, 5, 1))}
    assert [rolls[b].loans for b in rolls] == [0, 0, 0, 4, 0]  # all paid only on 30 April
    assert rolls[Bucket.DPD_61_90].to == {"current": 1, "1-30": 1, "31-60": 1, "61-90": 1,
                                          "90+": 0, "closed": 0}
    assert set(rolls[Bucket.DPD_61_90].rates.values()) == {Decimal("25.00"), Decimal("0.00")}


async def test_reports_refuse_bad_dates(session: AsyncSession) -> None:
    await month_end_loans(session)
    await run_delinquency(session, as_of=D(2024, 2, 1), actor=ACTOR)
    try:
        await roll_rates(session, start=D(2024, 2, 1), end=D(2024, 2, 1))
    except ValidationError as error:
        assert error.message == "A roll rate runs from an earlier date to a later one."
    else:
        raise AssertionError("a roll over no time was accepted")
    try:
        await roll_rates(session, start=D(2024, 2, 1), end=D(2024, 2, 2))
    except NotFoundError as error:
        assert error.message == (
            "There is no delinquency snapshot for 2024-02-02; run it first.")
    else:
        raise AssertionError("a missing snapshot was accepted")
