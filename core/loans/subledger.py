"""The loan sub-ledger as the general ledger sees it: totals per control account, their
reconciliation against the GL, and a self-check that cached balances match the schedules.

Control accounts (see `core.ledger.chart.CONTROL_ACCOUNTS`):
1210 principal outstanding, 1220 interest receivable, 1230 fees outstanding,
1240 penalties outstanding, 2100 credit balances (owed to borrowers, on any loan status).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.ledger.chart import AccountCode
from core.ledger.reconcile import Reconciliation, reconcile
from core.loans.models import Loan
from core.money import DEFAULT_CURRENCY

COLUMNS = {
    AccountCode.LOANS_PRINCIPAL: Loan.principal_outstanding,
    AccountCode.INTEREST_RECEIVABLE: Loan.interest_receivable,
    AccountCode.FEES_RECEIVABLE: Loan.fees_outstanding,
    AccountCode.PENALTIES_RECEIVABLE: Loan.penalties_outstanding,
    AccountCode.CUSTOMER_CREDIT_BALANCES: Loan.credit_balance,
}

_DRIFT = """
SELECT l.id FROM loans l
LEFT JOIN (
    SELECT i.loan_id,
           SUM(i.principal_due - i.principal_paid) AS principal,
           SUM(i.interest_accrued - i.interest_paid) AS interest,
           SUM(i.fee_due - i.fee_paid) AS fees,
           SUM(i.penalty_due - i.penalty_paid) AS penalties
    FROM loan_instalments i WHERE i.status <> 'cancelled' GROUP BY i.loan_id
) s ON s.loan_id = l.id
WHERE l.status NOT IN ('written_off', 'cancelled') AND (
    l.principal_outstanding <> COALESCE(s.principal, 0)
    OR l.interest_receivable <> COALESCE(s.interest, 0)
    OR l.fees_outstanding <> COALESCE(s.fees, 0)
    OR l.penalties_outstanding <> COALESCE(s.penalties, 0))
ORDER BY l.id
"""


async def subledger_totals(
    session: AsyncSession, *, currency: str = DEFAULT_CURRENCY
) -> dict[str, Decimal]:
    """The sum over all loans of each control account's balance, by account code."""
    row = (await session.execute(
        select(*(func.coalesce(func.sum(column), 0) for column in COLUMNS.values()))
        .where(Loan.currency == currency)
    )).one()
    return {code.value: Decimal(amount) for code, amount in zip(COLUMNS, row, strict=True)}


async def reconcile_subledger(
    session: AsyncSession, *, as_of: dt.date, currency: str = DEFAULT_CURRENCY
) -> Reconciliation:
    """`core.ledger.reconcile.reconcile` of the loan sub-ledger today against the GL as of
    `as_of` (pass the latest date anything was posted for a like-for-like comparison)."""
    totals = await subledger_totals(session, currency=currency)
    return await reconcile(session, as_of=as_of, subledger=totals, currency=currency)


async def balance_drift(session: AsyncSession) -> list[int]:
    """Ids of loans whose cached balances differ from their live instalments (none, unless
    something wrote to the tables behind the services' back)."""
    return list(await session.scalars(text(_DRIFT)))
