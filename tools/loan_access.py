"""The verified borrower's loans as the loan tools read them: owned, chosen, and up to date.

A loan id the model passes must be one of the borrower's own loans; another customer's gets
the same answer as an id that does not exist. Without an id, a tool acts on the borrower's
only active loan or, with several, on the most overdue, then the one due soonest.

Figures are read as of today: like `core.loans.settlement.settlement_quote`, the loan is
serviced through today (interest accrued, instalments fallen due, late fees) inside a
savepoint that is rolled back, so reading writes nothing and agrees with the payoff quote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.errors import NotFoundError
from core.loans.models import Instalment, InstalmentStatus, Loan, LoanStatus
from core.loans.queries import get_loan, search_loans
from core.loans.settlement import owed_total
from core.loans.transactions import instalments, up_to_date
from core.money import Money, total
from core.products.models import LoanProduct
from tools.context import ToolContext, require_customer

MAX_LOANS: Final = 500
LOAN_FIELD: Final = ("The loan's id from loan_balance; leave empty for the borrower's only "
                     "active loan (or, with several, the most overdue).")


@dataclass(frozen=True, slots=True)
class Row:
    """One live instalment: what was scheduled in all, and what of it is still unpaid."""

    number: int
    due_date: dt.date
    amount: Money
    unpaid: Money
    status: InstalmentStatus


@dataclass(frozen=True, slots=True)
class LoanView:
    """A loan's figures after servicing through `as_of`, as plain values."""

    loan_id: int
    number: str
    product_name: str
    status: LoanStatus
    currency: str
    disbursed_on: dt.date
    as_of: dt.date
    principal: Money
    interest: Money
    fees: Money
    penalties: Money
    credit: Money
    owed: Money
    overdue: Money
    days_past_due: int
    rows: tuple[Row, ...]

    def due_by(self, day: dt.date) -> Money:
        """Unpaid on instalments due on or before `day`."""
        return total([r.unpaid for r in self.rows if r.due_date <= day], self.currency)

    def next_row(self) -> Row | None:
        """The next instalment with something to pay that falls due today or later."""
        return next((r for r in self.rows if r.due_date >= self.as_of and r.unpaid), None)


def _row(row: Instalment, currency: str) -> Row:
    parts = ((row.principal_due, row.principal_paid), (row.interest_due, row.interest_paid),
             (row.fee_due, row.fee_paid), (row.penalty_due, row.penalty_paid))
    return Row(
        number=row.number, due_date=row.due_date, status=row.status,
        amount=total([Money.of(due, currency) for due, _ in parts], currency),
        unpaid=total([Money.of(due - paid, currency) for due, paid in parts], currency),
    )


def _as_view(loan: Loan, rows: list[Instalment], product_name: str, as_of: dt.date) -> LoanView:
    currency = loan.currency

    def money(value: Decimal) -> Money:
        return Money.of(value, currency)

    return LoanView(
        loan_id=loan.id, number=loan.number, product_name=product_name, status=loan.status,
        currency=currency, disbursed_on=loan.disbursed_on, as_of=as_of,
        principal=money(loan.principal_outstanding), interest=money(loan.interest_receivable),
        fees=money(loan.fees_outstanding), penalties=money(loan.penalties_outstanding),
        credit=money(loan.credit_balance), owed=owed_total(loan),
        overdue=money(loan.arrears_amount), days_past_due=loan.days_past_due,
        rows=tuple(_row(row, currency) for row in rows),
    )


async def _view(context: ToolContext, loan_id: int, product_name: str) -> LoanView:
    """The loan as of today. Serviced through today already (the nightly run), it is read as
    stored; otherwise it is brought up to date in a savepoint that is rolled back, so reading
    never writes."""
    session = context.session
    loan = await get_loan(session, loan_id=loan_id)
    if loan.accrued_through >= context.today:
        return _as_view(loan, await instalments(session, loan.id), product_name, context.today)
    async with session.begin_nested() as savepoint:
        loan = await up_to_date(session, loan_id=loan_id, as_of=context.today)
        view = _as_view(loan, await instalments(session, loan.id), product_name, context.today)
        await savepoint.rollback()
    return view


async def _loans(context: ToolContext, *, loan_id: int | None) -> list[tuple[int, str]]:
    customer_id = require_customer(context)
    if loan_id is None:
        loans = list(await search_loans(context.session, customer_id=customer_id,
                                        status=LoanStatus.ACTIVE, limit=MAX_LOANS))
        if not loans:
            raise NotFoundError("You have no active loan with us.")
    else:
        try:
            loans = [await get_loan(context.session, loan_id=loan_id)]
        except NotFoundError:
            loans = []
        if not loans or loans[0].customer_id != customer_id:  # the same answer: nothing leaks
            raise NotFoundError(f"You have no loan {loan_id} with us.")
    found = []
    for loan in loans:
        product = await context.session.get(LoanProduct, loan.product_id)
        assert product is not None  # a foreign key guarantees it
        found.append((loan.id, product.name))
    return found


def _urgency(view: LoanView) -> tuple[int, dt.date, int]:
    upcoming = view.next_row()
    return (-view.days_past_due, upcoming.due_date if upcoming else dt.date.max, view.loan_id)


async def loan_views(context: ToolContext, *, loan_id: int | None) -> list[LoanView]:
    """The loan asked for, or every active loan, most overdue then due soonest first."""
    views = [await _view(context, i, name) for i, name in await _loans(context, loan_id=loan_id)]
    return sorted(views, key=_urgency)


async def chosen_loan(context: ToolContext, *, loan_id: int | None) -> tuple[LoanView, list[int]]:
    """The loan a tool acts on (see the module docstring) and the ids of the others."""
    views = await loan_views(context, loan_id=loan_id)
    return views[0], [view.loan_id for view in views[1:]]
