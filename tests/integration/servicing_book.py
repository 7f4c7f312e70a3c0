"""Shared set-up for the servicing scenarios: a chart, a borrower, a product, loans, and
ways to read the books back (journal lines, GL balances, reconciliation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.service import register_customer
from core.ledger.chart import CONTROL_ACCOUNTS, ensure_chart
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.reports import account_balances, trial_balance
from core.ledger.rules import PayoutTo
from core.loans.contract import LoanContract
from core.loans.disbursement import disburse
from core.loans.models import Instalment, InstalmentStatus, Loan, LoanTransaction
from core.loans.subledger import balance_drift, reconcile_subledger
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.catalogue import PRODUCTS
from core.products.service import create_product
from core.products.spec import OverpaymentHandling

ACTOR = "staff:servicing-test"
FAR = dt.date(2099, 12, 31)
SUBLEDGER_TABLES = (
    "loans", "loan_instalments", "loan_transactions", "loan_allocations", "journal_entries",
    "journal_lines", "servicing_runs", "audit_events",
)


def m(value: str | int) -> Money:
    return Money.of(value)


@dataclass(frozen=True)
class Book:
    customer_id: int
    product_id: int


async def open_book(session: AsyncSession) -> Book:
    """The chart, one borrower and the PERSONAL product."""
    await ensure_chart(session, actor=ACTOR)
    customer = await register_customer(
        session, first_name="Asha", last_name="Ramdial", date_of_birth=dt.date(1990, 5, 4),
        today=dt.date(2024, 1, 1), actor=ACTOR,
    )
    product = await create_product(session, spec=PRODUCTS[0], actor=ACTOR)
    return Book(customer.id, product.id)


async def open_loan(
    session: AsyncSession,
    book: Book,
    *,
    principal: str = "10000.00",
    rate: str = "0.12",
    term: int = 12,
    start: dt.date = dt.date(2024, 1, 15),
    deducted_fee: str | None = None,
    financed_fee: str | None = None,
    overpayment: OverpaymentHandling = OverpaymentHandling.CREDIT_BALANCE,
    late_fee: str = "0.00",
    grace_days: int = 0,
    settlement_fee: str = "0",
) -> Loan:
    terms = LoanTerms(
        principal=m(principal), annual_rate=Decimal(rate), term=term, start_date=start,
        financed_fees=m(financed_fee) if financed_fee else None,
    )
    contract = LoanContract(
        terms=terms, deducted_fee=m(deducted_fee) if deducted_fee else None,
        overpayment=overpayment, late_fee=m(late_fee), late_fee_grace_days=grace_days,
        early_settlement_fee_percent=Decimal(settlement_fee), paid_to=PayoutTo.BORROWER,
    )
    return await disburse(session, customer_id=book.customer_id, product_id=book.product_id,
                          contract=contract, actor=ACTOR)


async def rows(session: AsyncSession, loan_id: int, *, live: bool = True) -> list[Instalment]:
    query = select(Instalment).where(Instalment.loan_id == loan_id)
    if live:
        query = query.where(Instalment.status != InstalmentStatus.CANCELLED)
    result = await session.scalars(
        query.order_by(Instalment.due_date, Instalment.version, Instalment.number)
        .execution_options(populate_existing=True))
    return list(result)


async def fresh(session: AsyncSession, loan_id: int) -> Loan:
    loan = await session.scalar(select(Loan).where(Loan.id == loan_id)
                                .execution_options(populate_existing=True))
    assert loan is not None
    return loan


async def journal(
    session: AsyncSession, transaction: LoanTransaction
) -> list[tuple[str, str, str]]:
    """The transaction's journal entry as (account, "dr"|"cr", amount), sorted."""
    assert transaction.journal_entry_id is not None
    lines = await session.execute(
        select(Account.code, JournalLine.debit, JournalLine.credit)
        .join(Account, Account.id == JournalLine.account_id)
        .where(JournalLine.entry_id == transaction.journal_entry_id))
    return sorted((code, "dr", str(dr)) if dr > 0 else (code, "cr", str(cr))
                  for code, dr, cr in lines)


async def entries_keyed(session: AsyncSession, prefix: str) -> list[JournalEntry]:
    result = await session.scalars(
        select(JournalEntry).where(JournalEntry.posting_key.startswith(prefix))
        .order_by(JournalEntry.id))
    return list(result)


async def gl(session: AsyncSession) -> dict[str, Money]:
    """Every account's balance in its normal direction, by code."""
    return {row.code: row.normal for row in await account_balances(session, end=FAR)}


async def assert_books_agree(session: AsyncSession) -> None:
    """The trial balance nets to zero, the sub-ledger reconciles to the GL for every control
    account, and every loan's cached balances match its instalments."""
    assert (await trial_balance(session, as_of=FAR)).net == Money.zero()
    reconciliation = await reconcile_subledger(session, as_of=FAR)
    assert [line.code for line in reconciliation.lines] == [c.value for c in CONTROL_ACCOUNTS]
    assert reconciliation.matched, reconciliation.differences
    assert await balance_drift(session) == []


async def table_counts(session: AsyncSession) -> dict[str, int]:
    return {table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in SUBLEDGER_TABLES}
