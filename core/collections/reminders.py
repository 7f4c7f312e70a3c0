"""Payment reminders: what each borrower should be reminded of on a day, and the words.

A borrower is reminded of every instalment due `days_before` days ahead (e.g. 3 and 0: three
days before and on the day), unpaid, on an active loan, and of every pending promise to pay
due tomorrow (the agent tells a borrower who promises "we'll send a reminder the day
before"). Everything due for one borrower goes in ONE message a day, because the contact
rules' cooling-off would refuse a second message minutes after the first.

A debt whose open collections case is disputed, on a payment plan or settled is not reminded
of (the next best action holds those cases too); each such item says why in `held`.
Sending, contact rules and idempotency are in `core.collections.reminder_run`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.lifecycle import CaseState
from core.collections.models import CollectionCase, PromiseStatus, PromiseToPay
from core.collections.nba import REMIND_DAYS_BEFORE_PROMISE
from core.loans.models import Instalment, InstalmentStatus, Loan, LoanStatus
from core.money import Money

HELD_STATES: Final = {
    CaseState.DISPUTED: "the borrower disputes the debt",
    CaseState.PAYMENT_PLAN: "the borrower is on a payment plan",
    CaseState.SETTLED: "the debt is being settled",
}


class ItemKind(StrEnum):
    INSTALMENT = "instalment"
    PROMISE = "promise"


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing to remind of: an instalment (`ref_id` its id, `reference` the loan number)
    or a promise to pay (`ref_id` the promise id, `reference` the case number)."""

    kind: ItemKind
    ref_id: int
    reference: str
    amount: Money
    due_date: dt.date
    loan_id: int | None
    held: str | None = None
    """Why this debt is not to be reminded of (its case's state), or None."""


@dataclass(frozen=True, slots=True)
class CustomerDue:
    customer_id: int
    items: tuple[DueItem, ...]

    @property
    def live(self) -> tuple[DueItem, ...]:
        return tuple(item for item in self.items if item.held is None)


def _held(state: CaseState | None, number: str | None) -> str | None:
    reason = None if state is None else HELD_STATES.get(state)
    return None if reason is None else f"Case {number}: {reason}."


async def _instalments(session: AsyncSession, dates: list[dt.date]) -> list[tuple[int, DueItem]]:
    i = Instalment
    owed = (i.principal_due - i.principal_paid + i.interest_due - i.interest_paid
            + i.fee_due - i.fee_paid + i.penalty_due - i.penalty_paid)
    rows = await session.execute(
        select(Loan.customer_id, Loan.id, Loan.number, Loan.currency, i.id, i.due_date,
               owed.label("owed"), CollectionCase.state, CollectionCase.number)
        .join(Loan, Loan.id == i.loan_id)
        .outerjoin(CollectionCase, and_(CollectionCase.loan_id == Loan.id,
                                        CollectionCase.state != CaseState.CLOSED))
        .where(Loan.status == LoanStatus.ACTIVE,
               i.status.in_((InstalmentStatus.PENDING, InstalmentStatus.DUE)),
               # period_start <= due_date always: lets the pending-instalments index range
               i.period_start <= max(dates), i.due_date.in_(dates), owed > 0)
        .order_by(Loan.customer_id, i.due_date, Loan.id, i.number))
    return [(customer, DueItem(ItemKind.INSTALMENT, instalment_id, number,
                               Money.of(amount, currency), due, loan_id,
                               _held(state, case_number)))
            for (customer, loan_id, number, currency, instalment_id, due, amount, state,
                 case_number) in rows]


async def _promises(session: AsyncSession, due: dt.date) -> list[tuple[int, DueItem]]:
    rows = await session.execute(
        select(CollectionCase.customer_id, PromiseToPay.id, CollectionCase.number,
               PromiseToPay.amount, PromiseToPay.currency, PromiseToPay.promised_date,
               CollectionCase.loan_id, CollectionCase.state)
        .join(CollectionCase, CollectionCase.id == PromiseToPay.case_id)
        .where(PromiseToPay.status == PromiseStatus.PENDING, PromiseToPay.promised_date == due,
               CollectionCase.customer_id.is_not(None))
        .order_by(CollectionCase.customer_id, PromiseToPay.id))
    return [(customer, DueItem(ItemKind.PROMISE, promise_id, number, Money.of(amount, currency),
                               promised, loan_id, _held(state, number)))
            for customer, promise_id, number, amount, currency, promised, loan_id, state in rows
            if customer is not None]


async def reminders_due(
    session: AsyncSession, *, as_of: dt.date, days_before: Sequence[int],
) -> list[CustomerDue]:
    """Every borrower with something to be reminded of on `as_of` (the lender's date), by
    customer id, with each item (see the module docstring). Read-only."""
    dates = sorted({as_of + dt.timedelta(days=days) for days in days_before if days >= 0})
    found = await _instalments(session, dates) if dates else []
    found += await _promises(session, as_of + dt.timedelta(days=REMIND_DAYS_BEFORE_PROMISE))
    by_customer: dict[int, list[DueItem]] = defaultdict(list)
    for customer_id, item in found:
        by_customer[customer_id].append(item)
    return [CustomerDue(customer_id, tuple(sorted(items, key=lambda i: (i.due_date, i.kind))))
            for customer_id, items in sorted(by_customer.items())]


def _when(due: dt.date, as_of: dt.date) -> str:
    days = (due - as_of).days
    relative = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
    return f"{relative}, {due:%A} {due.day} {due:%B}"


def _line(item: DueItem, as_of: dt.date) -> str:
    if item.kind is ItemKind.PROMISE:
        return (f"your promise to pay {item.amount} (case {item.reference}) is due "
                f"{_when(item.due_date, as_of)}")
    return f"{item.amount} for loan {item.reference} is due {_when(item.due_date, as_of)}"


def reminder_text(*, first_name: str, lender_name: str, items: Sequence[DueItem],
                  as_of: dt.date) -> str:
    """The reminder message for `items` (at least one), in plain words."""
    lines = [_line(item, as_of) for item in items]
    listed = lines[0] if len(lines) == 1 else "; ".join(lines[:-1]) + "; and " + lines[-1]
    return (f"Hello {first_name}, this is {lender_name} with a reminder: {listed}. If you "
            "have already paid, thank you. Reply here to pay or to ask us anything; reply "
            "STOP to stop these messages.")
