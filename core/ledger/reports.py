"""Trial balance, balance sheet and income statement, computed from the journal lines.

All figures are `Money` in the ledger's currency; dates are effective dates, inclusive.
Only accounts with postings in the span appear. Sign conventions:
- `AccountBalance.balance` is debit − credit (a credit balance is negative);
- statement lines are in their section's natural sign: assets and expenses debit-positive,
  liabilities, equity and income credit-positive; so a contra-asset such as the allowance
  for loan losses shows as a negative asset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.ledger.models import (
    DEBIT_NORMAL_TYPES,
    Account,
    AccountType,
    JournalEntry,
    JournalLine,
    NormalBalance,
)
from core.money import DEFAULT_CURRENCY, Money, total


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """One account's debits and credits over a span."""

    code: str
    name: str
    type: AccountType
    normal_balance: NormalBalance
    debit: Money
    credit: Money

    @property
    def balance(self) -> Money:
        """Debit − credit: positive for a debit balance, negative for a credit balance."""
        return self.debit - self.credit

    @property
    def normal(self) -> Money:
        """The balance in the account's normal direction (what a sub-ledger reports)."""
        return self.balance if self.normal_balance is NormalBalance.DEBIT else -self.balance

    @property
    def natural(self) -> Money:
        """The balance as its statement section shows it (contra accounts negative)."""
        return self.balance if self.type in DEBIT_NORMAL_TYPES else -self.balance


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: dt.date
    currency: str
    rows: tuple[AccountBalance, ...]
    total_debit: Money
    total_credit: Money

    @property
    def net(self) -> Money:
        """Sum of all balances: always zero for a ledger of balanced entries."""
        return total([row.balance for row in self.rows], self.currency)


@dataclass(frozen=True, slots=True)
class StatementLine:
    code: str
    name: str
    amount: Money


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """Assets = liabilities + equity, where equity includes `current_earnings`.

    `current_earnings` is income − expenses up to `as_of` not yet transferred to retained
    earnings (this ledger posts no closing entries, so that is all earnings to date).
    """

    as_of: dt.date
    currency: str
    assets: tuple[StatementLine, ...]
    liabilities: tuple[StatementLine, ...]
    equity: tuple[StatementLine, ...]
    current_earnings: Money
    total_assets: Money
    total_liabilities: Money
    total_equity: Money

    @property
    def balances(self) -> bool:
        return self.total_assets == self.total_liabilities + self.total_equity


@dataclass(frozen=True, slots=True)
class IncomeStatement:
    start: dt.date
    end: dt.date
    currency: str
    income: tuple[StatementLine, ...]
    expenses: tuple[StatementLine, ...]
    total_income: Money
    total_expenses: Money

    @property
    def net_income(self) -> Money:
        return self.total_income - self.total_expenses


async def account_balances(
    session: AsyncSession,
    *,
    end: dt.date,
    start: dt.date | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> list[AccountBalance]:
    """Debit and credit totals per account for entries dated `start`..`end`, by code."""
    query = (
        select(
            Account.code,
            Account.name,
            Account.type,
            Account.normal_balance,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(JournalLine, JournalLine.account_id == Account.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.effective_date <= end, JournalEntry.currency == currency)
        .group_by(Account.id)
        .order_by(Account.code)
    )
    if start is not None:
        query = query.where(JournalEntry.effective_date >= start)
    return [
        AccountBalance(
            code, name, type_, normal, Money.of(debit, currency), Money.of(credit, currency)
        )
        for code, name, type_, normal, debit, credit in await session.execute(query)
    ]


def _section(rows: list[AccountBalance], *types: AccountType) -> tuple[StatementLine, ...]:
    return tuple(StatementLine(r.code, r.name, r.natural) for r in rows if r.type in types)


def _sum(lines: tuple[StatementLine, ...], currency: str) -> Money:
    return total([line.amount for line in lines], currency)


async def trial_balance(
    session: AsyncSession, *, as_of: dt.date, currency: str = DEFAULT_CURRENCY
) -> TrialBalance:
    """Every account's totals up to `as_of`; `net` is zero and total debits equal credits."""
    rows = await account_balances(session, end=as_of, currency=currency)
    return TrialBalance(
        as_of,
        currency,
        tuple(rows),
        total([r.debit for r in rows], currency),
        total([r.credit for r in rows], currency),
    )


async def balance_sheet(
    session: AsyncSession, *, as_of: dt.date, currency: str = DEFAULT_CURRENCY
) -> BalanceSheet:
    """Assets, liabilities and equity at the end of `as_of`; `balances` is always true."""
    rows = await account_balances(session, end=as_of, currency=currency)
    assets = _section(rows, AccountType.ASSET)
    liabilities = _section(rows, AccountType.LIABILITY)
    equity = _section(rows, AccountType.EQUITY)
    earnings = _sum(_section(rows, AccountType.INCOME), currency) - _sum(
        _section(rows, AccountType.EXPENSE), currency
    )
    return BalanceSheet(
        as_of,
        currency,
        assets,
        liabilities,
        equity,
        earnings,
        _sum(assets, currency),
        _sum(liabilities, currency),
        _sum(equity, currency) + earnings,
    )


async def income_statement(
    session: AsyncSession, *, start: dt.date, end: dt.date, currency: str = DEFAULT_CURRENCY
) -> IncomeStatement:
    """Income and expenses for entries dated `start`..`end` (both inclusive)."""
    if start > end:
        raise ValidationError(f"The statement cannot end ({end}) before it starts ({start}).")
    rows = await account_balances(session, start=start, end=end, currency=currency)
    income = _section(rows, AccountType.INCOME)
    expenses = _section(rows, AccountType.EXPENSE)
    return IncomeStatement(
        start, end, currency, income, expenses, _sum(income, currency), _sum(expenses, currency)
    )
