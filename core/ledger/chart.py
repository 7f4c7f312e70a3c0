"""The demo lender's chart of accounts and `ensure_chart`, which installs it.

Code elsewhere names accounts through `AccountCode`, never through literal codes.
Numbering: 1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx income, 5xxx expenses; the
round hundreds and thousands are group accounts that head a branch and take no postings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError
from core.ledger.models import Account, AccountType, normal_balance_for
from core.money import DEFAULT_CURRENCY


class AccountCode(StrEnum):
    ASSETS = "1000"
    CASH_AND_BANK = "1100"
    BANK_OPERATING = "1110"
    PAYMENT_CLEARING = "1120"
    LOANS_AND_RECEIVABLES = "1200"
    LOANS_PRINCIPAL = "1210"
    INTEREST_RECEIVABLE = "1220"
    FEES_RECEIVABLE = "1230"
    PENALTIES_RECEIVABLE = "1240"
    ALLOWANCE_FOR_LOAN_LOSSES = "1290"
    LIABILITIES = "2000"
    CUSTOMER_CREDIT_BALANCES = "2100"
    MERCHANT_PAYABLE = "2200"
    EQUITY = "3000"
    OWNER_CAPITAL = "3100"
    RETAINED_EARNINGS = "3200"
    INCOME = "4000"
    INTEREST_INCOME = "4100"
    FEE_INCOME = "4200"
    ORIGINATION_FEE_INCOME = "4210"
    SERVICING_FEE_INCOME = "4220"
    PENALTY_INCOME = "4300"
    RECOVERIES_INCOME = "4400"
    EXPENSES = "5000"
    PROVISION_EXPENSE = "5100"
    WRITE_OFF_EXPENSE = "5200"
    SETTLEMENT_DISCOUNT_EXPENSE = "5300"
    PAYMENT_PROCESSING_FEES = "5400"


TYPE_BY_FIRST_DIGIT: Final = {
    "1": AccountType.ASSET,
    "2": AccountType.LIABILITY,
    "3": AccountType.EQUITY,
    "4": AccountType.INCOME,
    "5": AccountType.EXPENSE,
}


@dataclass(frozen=True, slots=True)
class AccountSpec:
    code: AccountCode
    name: str
    parent: AccountCode | None = None
    is_contra: bool = False
    is_group: bool = False

    @property
    def type(self) -> AccountType:
        return TYPE_BY_FIRST_DIGIT[self.code.value[0]]


_C = AccountCode

CHART: Final[tuple[AccountSpec, ...]] = (
    AccountSpec(_C.ASSETS, "Assets", is_group=True),
    AccountSpec(_C.CASH_AND_BANK, "Cash and bank", _C.ASSETS, is_group=True),
    AccountSpec(_C.BANK_OPERATING, "Bank – operating account", _C.CASH_AND_BANK),
    AccountSpec(_C.PAYMENT_CLEARING, "Payment clearing (provider)", _C.CASH_AND_BANK),
    AccountSpec(_C.LOANS_AND_RECEIVABLES, "Loans and receivables", _C.ASSETS, is_group=True),
    AccountSpec(_C.LOANS_PRINCIPAL, "Loans receivable – principal", _C.LOANS_AND_RECEIVABLES),
    AccountSpec(_C.INTEREST_RECEIVABLE, "Interest receivable", _C.LOANS_AND_RECEIVABLES),
    AccountSpec(_C.FEES_RECEIVABLE, "Fees receivable", _C.LOANS_AND_RECEIVABLES),
    AccountSpec(_C.PENALTIES_RECEIVABLE, "Penalties receivable", _C.LOANS_AND_RECEIVABLES),
    AccountSpec(
        _C.ALLOWANCE_FOR_LOAN_LOSSES,
        "Allowance for loan losses",
        _C.LOANS_AND_RECEIVABLES,
        is_contra=True,
    ),
    AccountSpec(_C.LIABILITIES, "Liabilities", is_group=True),
    AccountSpec(
        _C.CUSTOMER_CREDIT_BALANCES, "Customer credit balances (overpayments)", _C.LIABILITIES
    ),
    AccountSpec(_C.MERCHANT_PAYABLE, "Disbursements payable – merchants", _C.LIABILITIES),
    AccountSpec(_C.EQUITY, "Equity", is_group=True),
    AccountSpec(_C.OWNER_CAPITAL, "Owner's capital", _C.EQUITY),
    AccountSpec(_C.RETAINED_EARNINGS, "Retained earnings", _C.EQUITY),
    AccountSpec(_C.INCOME, "Income", is_group=True),
    AccountSpec(_C.INTEREST_INCOME, "Interest income", _C.INCOME),
    AccountSpec(_C.FEE_INCOME, "Fee income", _C.INCOME, is_group=True),
    AccountSpec(_C.ORIGINATION_FEE_INCOME, "Fee income – origination", _C.FEE_INCOME),
    AccountSpec(_C.SERVICING_FEE_INCOME, "Fee income – servicing and other", _C.FEE_INCOME),
    AccountSpec(_C.PENALTY_INCOME, "Penalty and late-fee income", _C.INCOME),
    AccountSpec(_C.RECOVERIES_INCOME, "Recoveries on written-off loans", _C.INCOME),
    AccountSpec(_C.EXPENSES, "Expenses", is_group=True),
    AccountSpec(_C.PROVISION_EXPENSE, "Provision for loan losses (impairment)", _C.EXPENSES),
    AccountSpec(_C.WRITE_OFF_EXPENSE, "Write-offs not covered by the allowance", _C.EXPENSES),
    AccountSpec(
        _C.SETTLEMENT_DISCOUNT_EXPENSE, "Settlement discounts and forgiveness", _C.EXPENSES
    ),
    AccountSpec(_C.PAYMENT_PROCESSING_FEES, "Payment processing fees", _C.EXPENSES),
)

CONTROL_ACCOUNTS: Final[tuple[AccountCode, ...]] = (
    _C.LOANS_PRINCIPAL,
    _C.INTEREST_RECEIVABLE,
    _C.FEES_RECEIVABLE,
    _C.PENALTIES_RECEIVABLE,
    _C.CUSTOMER_CREDIT_BALANCES,
)
"""Accounts whose balance the loan sub-ledger must explain (see `core.ledger.reconcile`)."""


async def ensure_chart(
    session: AsyncSession, *, actor: str = "system", currency: str = DEFAULT_CURRENCY
) -> list[str]:
    """Install any missing account of `CHART`; return the codes created (none on a rerun).

    Idempotent. An existing account with the same code but a different type, contra flag or
    group flag raises `ConflictError`: its postings would mean something else.
    """
    existing = {a.code: a for a in await session.scalars(select(Account))}
    created: list[str] = []
    for spec in CHART:
        account = existing.get(spec.code)
        if account is not None:
            if (account.type, account.is_contra, account.is_group) != (
                spec.type,
                spec.is_contra,
                spec.is_group,
            ):
                raise ConflictError(
                    f"Account {spec.code} exists as a different kind of account than "
                    f"“{spec.name}”; fix the chart before posting."
                )
            continue
        account = Account(
            code=spec.code.value,
            name=spec.name,
            type=spec.type,
            normal_balance=normal_balance_for(spec.type, is_contra=spec.is_contra),
            parent_id=existing[spec.parent].id if spec.parent else None,
            is_contra=spec.is_contra,
            is_group=spec.is_group,
            currency=currency,
        )
        session.add(account)
        await session.flush()
        existing[spec.code] = account
        created.append(spec.code.value)
    if created:
        await trail.record(
            session,
            actor=actor,
            action="ledger.chart_installed",
            entity_type="ledger_chart",
            entity_id=currency,
            after={"created": created},
        )
    return created


async def list_accounts(session: AsyncSession) -> list[Account]:
    """Every account, ordered by code (parents precede their children)."""
    return list(await session.scalars(select(Account).order_by(Account.code)))
