"""Reading loans for staff: search, one loan, its schedule and its transactions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.models import Customer
from core.errors import NotFoundError, ValidationError
from core.loans.models import Instalment, InstalmentStatus, Loan, LoanStatus, LoanTransaction


async def get_loan(session: AsyncSession, *, loan_id: int) -> Loan:
    """The loan, read afresh (the servicing run updates loans in bulk behind the identity
    map); `NotFoundError` when there is none."""
    loan = await session.scalar(
        select(Loan).where(Loan.id == loan_id).execution_options(populate_existing=True))
    if loan is None:
        raise NotFoundError(f"There is no loan {loan_id}.")
    return loan


async def search_loans(
    session: AsyncSession,
    *,
    text: str | None = None,
    status: LoanStatus | None = None,
    customer_id: int | None = None,
    min_days_past_due: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Loan]:
    """Loans, newest first. `text` matches the loan number, the customer number or the
    customer's name (case-insensitive, anywhere in it)."""
    if not 1 <= limit <= 500 or offset < 0:
        raise ValidationError("Ask for 1 to 500 loans from a non-negative offset.")
    query = select(Loan)
    if text and text.strip():
        pattern = f"%{text.strip()}%"
        query = query.join(Customer, Customer.id == Loan.customer_id).where(or_(
            Loan.number.ilike(pattern), Customer.number.ilike(pattern),
            (Customer.first_name + " " + Customer.last_name).ilike(pattern),
        ))
    if status is not None:
        query = query.where(Loan.status == LoanStatus(status))
    if customer_id is not None:
        query = query.where(Loan.customer_id == customer_id)
    if min_days_past_due is not None:
        query = query.where(Loan.days_past_due >= min_days_past_due)
    rows = await session.scalars(query.order_by(Loan.id.desc()).limit(limit).offset(offset))
    return rows.all()


async def loan_schedule(
    session: AsyncSession, *, loan_id: int, include_cancelled: bool = False
) -> list[Instalment]:
    """The loan's instalments in due order; cancelled (replaced) rows only when asked."""
    await get_loan(session, loan_id=loan_id)
    query = select(Instalment).where(Instalment.loan_id == loan_id)
    if not include_cancelled:
        query = query.where(Instalment.status != InstalmentStatus.CANCELLED)
    rows = await session.scalars(
        query.order_by(Instalment.due_date, Instalment.version, Instalment.number))
    return list(rows)


async def loan_transactions(session: AsyncSession, *, loan_id: int) -> list[LoanTransaction]:
    """The loan's transactions by effective date, then as recorded."""
    await get_loan(session, loan_id=loan_id)
    rows = await session.scalars(
        select(LoanTransaction).where(LoanTransaction.loan_id == loan_id)
        .order_by(LoanTransaction.effective_date, LoanTransaction.id))
    return list(rows)
