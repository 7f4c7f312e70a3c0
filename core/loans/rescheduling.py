"""Turning schedules into instalment rows, and replacing the future part of a schedule.

A new schedule version never edits an old row: the rows it replaces are CANCELLED (with the
transaction that did it), new rows are added under the next version, and a reversal undoes
exactly that. Both a prepayment (same terms, less principal, shorter) and a restructure
(new terms) go through `replace_future`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.loans.models import Instalment, InstalmentStatus, Loan
from core.loans.schedule import Schedule, build_schedule
from core.loans.terms import LoanTerms
from core.money import Money

ZERO = Decimal("0.00")


def check_serviceable(schedule: Schedule) -> None:
    """Refuse a schedule that capitalises interest: servicing does not support it yet."""
    if schedule.totals.capitalised_interest:
        raise ValidationError(
            "This schedule adds unpaid interest to the principal (an interest grace period or "
            "a first period too long for its instalment); such loans cannot be serviced yet."
        )


def schedule_rows(
    loan: Loan,
    schedule: Schedule,
    *,
    version: int,
    created_by: int | None,
    due_dates: Sequence[dt.date] | None = None,
    carried_interest: Decimal = ZERO,
    carried_fee: Decimal = ZERO,
    carried_penalty: Decimal = ZERO,
) -> list[Instalment]:
    """New PENDING rows for `schedule`. `due_dates` overrides the engine's dates (to keep a
    loan's original calendar); amounts carried over from cancelled rows go on the first."""
    check_serviceable(schedule)
    dates = list(due_dates) if due_dates is not None else [
        row.due_date for row in schedule.instalments]
    rows: list[Instalment] = []
    start = schedule.terms.start_date
    for index, (row, due) in enumerate(zip(schedule.instalments, dates, strict=True)):
        first = index == 0
        rows.append(Instalment(
            loan_id=loan.id, version=version, number=row.number, period_start=start,
            due_date=due, principal_due=row.principal.amount,
            interest_due=row.interest.amount + (carried_interest if first else ZERO),
            fee_due=carried_fee if first else ZERO,
            penalty_due=carried_penalty if first else ZERO,
            principal_paid=ZERO, interest_paid=ZERO, fee_paid=ZERO, penalty_paid=ZERO,
            interest_accrued=carried_interest if first else ZERO,
            interest_carried=carried_interest if first else ZERO,
            status=InstalmentStatus.PENDING, late_fee_charged=False,
            created_by_transaction_id=created_by,
        ))
        start = due
    return rows


async def next_version(session: AsyncSession, loan: Loan) -> int:
    """The loan's next schedule version: past every version it ever had (a reversed
    rescheduling leaves its cancelled rows behind under their version)."""
    latest = await session.scalar(
        select(func.max(Instalment.version)).where(Instalment.loan_id == loan.id))
    loan.schedule_version = (latest or 0) + 1
    return loan.schedule_version


def cancel(rows: Sequence[Instalment], *, by: int) -> None:
    for row in rows:
        row.status = InstalmentStatus.CANCELLED
        row.cancelled_by_transaction_id = by


def shortened(terms: LoanTerms, remaining: Sequence[Instalment]) -> Schedule:
    """The shortest schedule of `terms` (at most as long as `remaining`) whose instalments
    are no larger than the largest of `remaining`: a prepayment keeps the instalment and
    shortens the loan."""
    ceiling = max(r.principal_due + r.interest_due for r in remaining)
    low, high = 1, len(remaining)
    best: Schedule | None = None
    while low <= high:
        middle = (low + high) // 2
        try:
            candidate = build_schedule(_with_term(terms, middle))
        except ValidationError:  # a rounding multiple too coarse for this many instalments
            high = middle - 1
            continue
        if max(row.total.amount for row in candidate.instalments) <= ceiling:
            best, high = candidate, middle - 1
        else:
            low = middle + 1
    return best or build_schedule(_with_term(terms, len(remaining)))


def _with_term(terms: LoanTerms, term: int) -> LoanTerms:
    return LoanTerms(
        principal=terms.principal, annual_rate=terms.annual_rate, term=term,
        start_date=terms.start_date, frequency=terms.frequency, method=terms.method,
        calculation=terms.calculation, day_count=terms.day_count,
        first_due_date=terms.first_due_date, rounding_multiple=terms.rounding_multiple,
    )


def continuation_terms(
    loan_terms: LoanTerms, *, principal: Money, start: dt.date, first_due: dt.date, term: int
) -> LoanTerms:
    """`loan_terms` carried on over `principal` from `start`, first due on `first_due`."""
    return LoanTerms(
        principal=principal, annual_rate=loan_terms.annual_rate, term=term, start_date=start,
        frequency=loan_terms.frequency, method=loan_terms.method,
        calculation=loan_terms.calculation, day_count=loan_terms.day_count,
        first_due_date=first_due, rounding_multiple=loan_terms.rounding_multiple,
    )
