"""General ledger API: any staff member reads the chart, entries and reports; supervisors and
admins post manual entries, reverse entries and open or close periods.

Amounts travel as strings ("10000.00") in the ledger's currency; dates as ISO dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.errors import PermissionDenied
from core.ledger import periods, reports
from core.ledger.chart import list_accounts
from core.ledger.lines import Line
from core.ledger.models import Account, AccountingPeriod, JournalEntry
from core.ledger.posting import get_entry, post_entry, reverse_entry
from core.money import DEFAULT_CURRENCY, Money
from core.staff.models import Role, StaffUser

router = APIRouter(prefix="/ledger", tags=["ledger"])

_BOOKKEEPERS = {Role.SUPERVISOR, Role.ADMIN}


def _bookkeeper(staff: StaffUser) -> str:
    if staff.role not in _BOOKKEEPERS:
        raise PermissionDenied("Only supervisors and admins may change the books.")
    return f"staff:{staff.id}"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class AccountOut(BaseModel):
    code: str
    name: str
    type: str
    normal_balance: str
    parent_code: str | None
    is_contra: bool
    is_group: bool
    currency: str
    active: bool


class LineIn(BaseModel):
    account: str = Field(max_length=20, examples=["1110"])
    debit: str | None = Field(default=None, examples=["250.00"])
    credit: str | None = None
    loan_id: int | None = None

    def to_line(self, currency: str) -> Line:
        return Line(
            self.account,
            debit=Money.of(self.debit, currency) if self.debit is not None else None,
            credit=Money.of(self.credit, currency) if self.credit is not None else None,
            loan_id=self.loan_id,
        )


class ManualEntryIn(BaseModel):
    posting_key: str = Field(max_length=200)
    effective_date: dt.date
    description: str = Field(max_length=500)
    currency: str = DEFAULT_CURRENCY
    lines: list[LineIn]


class LineOut(BaseModel):
    account: str
    account_name: str
    debit: str
    credit: str
    loan_id: int | None


class EntryOut(BaseModel):
    id: int
    posting_key: str
    effective_date: dt.date
    posted_at: dt.datetime
    posted_by: str
    description: str
    source_type: str | None
    source_id: int | None
    reverses_entry_id: int | None
    currency: str
    total: str
    lines: list[LineOut]

    @classmethod
    def of(cls, entry: JournalEntry) -> EntryOut:
        return cls(
            id=entry.id,
            posting_key=entry.posting_key,
            effective_date=entry.effective_date,
            posted_at=entry.posted_at,
            posted_by=entry.posted_by,
            description=entry.description,
            source_type=entry.source_type,
            source_id=entry.source_id,
            reverses_entry_id=entry.reverses_entry_id,
            currency=entry.currency,
            total=str(entry.total),
            lines=[
                LineOut(
                    account=line.account.code,
                    account_name=line.account.name,
                    debit=str(line.debit),
                    credit=str(line.credit),
                    loan_id=line.loan_id,
                )
                for line in entry.lines
            ],
        )


class ReverseIn(BaseModel):
    posting_key: str = Field(max_length=200)
    effective_date: dt.date
    reason: str = Field(max_length=400)


class TrialBalanceRow(BaseModel):
    code: str
    name: str
    type: str
    debit: str
    credit: str
    balance: str


class TrialBalanceOut(BaseModel):
    as_of: dt.date
    currency: str
    rows: list[TrialBalanceRow]
    total_debit: str
    total_credit: str


class StatementLineOut(BaseModel):
    code: str
    name: str
    amount: str


def _lines(lines: tuple[reports.StatementLine, ...]) -> list[StatementLineOut]:
    return [StatementLineOut(code=x.code, name=x.name, amount=str(x.amount.amount)) for x in lines]


class BalanceSheetOut(BaseModel):
    as_of: dt.date
    currency: str
    assets: list[StatementLineOut]
    liabilities: list[StatementLineOut]
    equity: list[StatementLineOut]
    current_earnings: str
    total_assets: str
    total_liabilities: str
    total_equity: str


class IncomeStatementOut(BaseModel):
    start: dt.date
    end: dt.date
    currency: str
    income: list[StatementLineOut]
    expenses: list[StatementLineOut]
    total_income: str
    total_expenses: str
    net_income: str


class PeriodIn(BaseModel):
    start: dt.date
    end: dt.date


class PeriodOut(BaseModel):
    id: int
    start: dt.date
    end: dt.date
    status: str
    closed_by: str | None
    closed_at: dt.datetime | None

    @classmethod
    def of(cls, period: AccountingPeriod) -> PeriodOut:
        return cls(
            id=period.id,
            start=period.start_date,
            end=period.end_date,
            status=period.status.value,
            closed_by=period.closed_by,
            closed_at=period.closed_at,
        )


def _account_out(account: Account, codes: dict[int, str]) -> AccountOut:
    return AccountOut(
        code=account.code,
        name=account.name,
        type=account.type.value,
        normal_balance=account.normal_balance.value,
        parent_code=codes.get(account.parent_id) if account.parent_id else None,
        is_contra=account.is_contra,
        is_group=account.is_group,
        currency=account.currency,
        active=account.active,
    )


@router.get("/accounts")
async def chart_of_accounts(session: SessionDep, staff: CurrentStaff) -> list[AccountOut]:
    """The chart of accounts, by code; group accounts head their branch."""
    accounts = await list_accounts(session)
    codes = {account.id: account.code for account in accounts}
    return [_account_out(account, codes) for account in accounts]


@router.get("/entries/{entry_id}")
async def journal_entry(entry_id: int, session: SessionDep, staff: CurrentStaff) -> EntryOut:
    return EntryOut.of(await get_entry(session, entry_id=entry_id))


@router.post("/entries", status_code=status.HTTP_201_CREATED)
async def manual_entry(body: ManualEntryIn, session: SessionDep, staff: CurrentStaff) -> EntryOut:
    """Post a manual journal entry. Retrying with the same posting key and body is safe."""
    actor = _bookkeeper(staff)
    entry = await post_entry(
        session,
        posting_key=body.posting_key,
        effective_date=body.effective_date,
        lines=[line.to_line(body.currency) for line in body.lines],
        description=body.description,
        source_type="manual",
        actor=actor,
    )
    return EntryOut.of(entry)


@router.post("/entries/{entry_id}/reverse", status_code=status.HTTP_201_CREATED)
async def reverse(
    entry_id: int, body: ReverseIn, session: SessionDep, staff: CurrentStaff
) -> EntryOut:
    """Post the mirror entry of `entry_id`; an entry can be reversed once."""
    entry = await reverse_entry(
        session,
        entry_id=entry_id,
        posting_key=body.posting_key,
        effective_date=body.effective_date,
        reason=body.reason,
        actor=_bookkeeper(staff),
    )
    return EntryOut.of(entry)


@router.get("/trial-balance")
async def get_trial_balance(
    session: SessionDep, staff: CurrentStaff, as_of: dt.date | None = None
) -> TrialBalanceOut:
    """Debit and credit totals per account up to `as_of` (default today)."""
    tb = await reports.trial_balance(session, as_of=as_of or _today())
    return TrialBalanceOut(
        as_of=tb.as_of,
        currency=tb.currency,
        total_debit=str(tb.total_debit.amount),
        total_credit=str(tb.total_credit.amount),
        rows=[
            TrialBalanceRow(
                code=r.code,
                name=r.name,
                type=r.type.value,
                debit=str(r.debit.amount),
                credit=str(r.credit.amount),
                balance=str(r.balance.amount),
            )
            for r in tb.rows
        ],
    )


@router.get("/balance-sheet")
async def get_balance_sheet(
    session: SessionDep, staff: CurrentStaff, as_of: dt.date | None = None
) -> BalanceSheetOut:
    """Assets, liabilities and equity (with current earnings) at the end of `as_of`."""
    sheet = await reports.balance_sheet(session, as_of=as_of or _today())
    return BalanceSheetOut(
        as_of=sheet.as_of,
        currency=sheet.currency,
        assets=_lines(sheet.assets),
        liabilities=_lines(sheet.liabilities),
        equity=_lines(sheet.equity),
        current_earnings=str(sheet.current_earnings.amount),
        total_assets=str(sheet.total_assets.amount),
        total_liabilities=str(sheet.total_liabilities.amount),
        total_equity=str(sheet.total_equity.amount),
    )


@router.get("/income-statement")
async def get_income_statement(
    session: SessionDep,
    staff: CurrentStaff,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
) -> IncomeStatementOut:
    """Income and expenses for entries dated `from`..`to`, both inclusive."""
    statement = await reports.income_statement(session, start=start, end=end)
    return IncomeStatementOut(
        start=statement.start,
        end=statement.end,
        currency=statement.currency,
        income=_lines(statement.income),
        expenses=_lines(statement.expenses),
        total_income=str(statement.total_income.amount),
        total_expenses=str(statement.total_expenses.amount),
        net_income=str(statement.net_income.amount),
    )


@router.get("/periods")
async def accounting_periods(session: SessionDep, staff: CurrentStaff) -> list[PeriodOut]:
    return [PeriodOut.of(p) for p in await periods.list_periods(session)]


@router.post("/periods", status_code=status.HTTP_201_CREATED)
async def open_period(body: PeriodIn, session: SessionDep, staff: CurrentStaff) -> PeriodOut:
    period = await periods.open_period(
        session, start=body.start, end=body.end, actor=_bookkeeper(staff)
    )
    return PeriodOut.of(period)


@router.post("/periods/{period_id}/close")
async def close_period(period_id: int, session: SessionDep, staff: CurrentStaff) -> PeriodOut:
    """Close a period for good: no entry may be dated inside it afterwards."""
    period = await periods.close_period(
        session, period_id=period_id, actor=_bookkeeper(staff), now=dt.datetime.now(dt.UTC)
    )
    return PeriodOut.of(period)
