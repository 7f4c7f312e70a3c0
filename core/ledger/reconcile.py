"""Reconcile the loan sub-ledger against the general ledger.

The loan-servicing module adds up what its loans say is owed (principal outstanding,
interest, fees and penalties receivable, credit balances) and passes the totals per control
account code (`core.ledger.chart.CONTROL_ACCOUNTS`). GL figures are balances in each
account's normal direction as of the end of `as_of`, so both sides are positive for a
normal book. `difference` is GL − sub-ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.ledger.models import Account, JournalEntry, JournalLine, NormalBalance
from core.ledger.reports import account_balances
from core.money import DEFAULT_CURRENCY, Money


@dataclass(frozen=True, slots=True)
class ReconciliationLine:
    code: str
    name: str
    gl: Money
    subledger: Money

    @property
    def difference(self) -> Money:
        return self.gl - self.subledger


@dataclass(frozen=True, slots=True)
class Reconciliation:
    as_of: dt.date
    lines: tuple[ReconciliationLine, ...]

    @property
    def differences(self) -> tuple[ReconciliationLine, ...]:
        """The lines where the GL and the sub-ledger disagree."""
        return tuple(line for line in self.lines if line.difference)

    @property
    def matched(self) -> bool:
        return not self.differences


@dataclass(frozen=True, slots=True)
class LoanDifference:
    loan_id: int
    code: str
    gl: Money
    subledger: Money

    @property
    def difference(self) -> Money:
        return self.gl - self.subledger


async def _accounts(session: AsyncSession, codes: Collection[str]) -> dict[str, Account]:
    if not codes:
        raise ValidationError("Name at least one account to reconcile.")
    wanted = {str(code) for code in codes}
    rows = await session.scalars(select(Account).where(Account.code.in_(wanted)))
    found = {account.code: account for account in rows}
    unknown = sorted(wanted - found.keys())
    if unknown:
        raise ValidationError("There is no account " + ", ".join(unknown) + " in the chart.")
    return found


async def reconcile(
    session: AsyncSession,
    *,
    as_of: dt.date,
    subledger: Mapping[str, Decimal],
    currency: str = DEFAULT_CURRENCY,
) -> Reconciliation:
    """Compare sub-ledger totals per account code with the GL; lines follow the given order.

    Raises `ValidationError` for an unknown code, an empty mapping or an amount with more
    decimals than the currency has.
    """
    accounts = await _accounts(session, subledger.keys())
    gl = {
        row.code: row.normal
        for row in await account_balances(session, end=as_of, currency=currency)
    }
    return Reconciliation(
        as_of,
        tuple(
            ReconciliationLine(
                str(code),
                accounts[code].name,
                gl.get(code, Money.zero(currency)),
                Money.of(amount, currency),
            )
            for code, amount in subledger.items()
        ),
    )


async def gl_balances_by_loan(
    session: AsyncSession,
    *,
    account_codes: Collection[str],
    as_of: dt.date,
    currency: str = DEFAULT_CURRENCY,
) -> dict[int, dict[str, Money]]:
    """Per loan, the normal-direction balance of each named account as of `as_of`.

    Only lines tagged with a loan id count; every loan with such a line on one of the
    accounts appears, with zero for the named accounts it has no lines on.
    """
    accounts = await _accounts(session, account_codes)
    rows = await session.execute(
        select(
            JournalLine.loan_id,
            Account.code,
            func.sum(JournalLine.debit) - func.sum(JournalLine.credit),
        )
        .join(Account, Account.id == JournalLine.account_id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            Account.code.in_(accounts),
            JournalLine.loan_id.is_not(None),
            JournalEntry.effective_date <= as_of,
            JournalEntry.currency == currency,
        )
        .group_by(JournalLine.loan_id, Account.code)
    )
    result: dict[int, dict[str, Money]] = {}
    for loan_id, code, balance in rows:
        assert loan_id is not None  # untagged lines were filtered out above
        sign = 1 if accounts[code].normal_balance is NormalBalance.DEBIT else -1
        per_loan = result.setdefault(loan_id, dict.fromkeys(accounts, Money.zero(currency)))
        per_loan[code] = Money.of(sign * balance, currency)
    return result


async def reconcile_loans(
    session: AsyncSession,
    *,
    as_of: dt.date,
    subledger: Mapping[int, Mapping[str, Decimal]],
    account_codes: Collection[str],
    currency: str = DEFAULT_CURRENCY,
) -> list[LoanDifference]:
    """Per loan and account, where the GL and the sub-ledger disagree (empty when all match).

    A loan missing from either side counts as zero there. Ordered by loan id, then code.
    """
    gl = await gl_balances_by_loan(
        session, account_codes=account_codes, as_of=as_of, currency=currency
    )
    zero = Money.zero(currency)
    differences = []
    for loan_id in sorted(gl.keys() | subledger.keys()):
        for code in sorted(str(code) for code in account_codes):
            ours = gl.get(loan_id, {}).get(code, zero)
            theirs = Money.of(subledger.get(loan_id, {}).get(code, Decimal(0)), currency)
            if ours != theirs:
                differences.append(LoanDifference(loan_id, code, ours, theirs))
    return differences
