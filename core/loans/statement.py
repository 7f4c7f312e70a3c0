"""Loan statements: what the borrower owed at the start of a period, every transaction in
it with the running balance, and what they owed at the end.

The balance is what the borrower owes: principal + interest receivable + fees + penalties
− credit balance. Each transaction records its effect on it (`balance_change`), so the
statement is the running sum of those, dated by effective date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError, ValidationError
from core.loans.models import Loan, LoanTransaction, TransactionType
from core.money import Money

MAX_DAYS = 3660


@dataclass(frozen=True, slots=True)
class StatementLine:
    transaction_id: int
    date: dt.date
    type: TransactionType
    description: str
    amount: Money
    change: Money
    balance: Money
    reversed: bool


@dataclass(frozen=True, slots=True)
class Statement:
    loan_id: int
    number: str
    start: dt.date
    end: dt.date
    opening_balance: Money
    lines: tuple[StatementLine, ...]
    closing_balance: Money


async def statement(
    session: AsyncSession, *, loan_id: int, start: dt.date, end: dt.date
) -> Statement:
    """The statement of a loan from `start` to `end`, both inclusive.

    Raises `NotFoundError` for an unknown loan and `ValidationError` for a period that ends
    before it starts or spans more than ten years.
    """
    if end < start:
        raise ValidationError(f"A statement cannot end ({end}) before it starts ({start}).")
    if (end - start).days > MAX_DAYS:
        raise ValidationError("A statement can cover at most ten years.")
    loan = await session.get(Loan, loan_id)
    if loan is None:
        raise NotFoundError(f"There is no loan {loan_id}.")
    def money(value: Decimal | int) -> Money:
        return Money.of(value, loan.currency)

    opening = await session.scalar(
        select(func.coalesce(func.sum(LoanTransaction.balance_change), 0)).where(
            LoanTransaction.loan_id == loan_id, LoanTransaction.effective_date < start)
    )
    rows = await session.scalars(
        select(LoanTransaction)
        .where(LoanTransaction.loan_id == loan_id, LoanTransaction.effective_date >= start,
               LoanTransaction.effective_date <= end)
        .order_by(LoanTransaction.effective_date, LoanTransaction.id)
    )
    balance = Decimal(opening or 0)
    lines = []
    for row in rows:
        balance += row.balance_change
        lines.append(StatementLine(
            transaction_id=row.id, date=row.effective_date, type=row.type,
            description=row.description, amount=money(row.amount),
            change=money(row.balance_change), balance=money(balance), reversed=row.reversed,
        ))
    return Statement(
        loan_id=loan.id, number=loan.number, start=start, end=end,
        opening_balance=money(opening or 0), lines=tuple(lines), closing_balance=money(balance),
    )
