"""Ledger records: accounts, journal entries and their lines, accounting periods.

What the schema itself guarantees (the rest is in migration 0004):
- a line has exactly one positive side (CHECK), amounts are NUMERIC(18, 2);
- an entry records its own control `total`, so a complete entry refuses any further line;
- an entry may be reversed at most once (`reverses_entry_id` is UNIQUE);
- an account's normal balance follows from its type and contra flag (CHECK);
- accounting periods never overlap (EXCLUDE on their date ranges).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAtMixin, IdMixin, money
from core.money import DEFAULT_CURRENCY


def _values(enum_type: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_type]


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class NormalBalance(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


DEBIT_NORMAL_TYPES = frozenset({AccountType.ASSET, AccountType.EXPENSE})


def normal_balance_for(account_type: AccountType, *, is_contra: bool) -> NormalBalance:
    """Assets and expenses increase with debits; a contra account runs the other way."""
    debit_normal = (account_type in DEBIT_NORMAL_TYPES) != is_contra
    return NormalBalance.DEBIT if debit_normal else NormalBalance.CREDIT


class Account(IdMixin, CreatedAtMixin, Base):
    """One account of the chart. Group accounts head a branch and take no postings."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "((type IN ('asset', 'expense')) <> is_contra) = (normal_balance = 'debit')",
            name="normal_balance_matches_type",
        ),
    )

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AccountType] = mapped_column(
        Enum(AccountType, name="account_type", values_callable=_values)
    )
    normal_balance: Mapped[NormalBalance] = mapped_column(
        Enum(NormalBalance, name="normal_balance", values_callable=_values)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    is_contra: Mapped[bool] = mapped_column(default=False)
    is_group: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    active: Mapped[bool] = mapped_column(default=True)


class JournalEntry(IdMixin, Base):
    """A balanced, immutable set of lines. Corrections are reversals, never edits."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("reverses_entry_id <> id", name="not_self_reversal"),
        Index("ix_journal_entries_source", "source_type", "source_id"),
    )

    posting_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    effective_date: Mapped[dt.date] = mapped_column(Date, index=True)
    posted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    posted_by: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500))
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[money]

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", lazy="selectin", order_by="JournalLine.id"
    )


class JournalLine(IdMixin, Base):
    """One debit or one credit to one account, optionally tagged with the loan it concerns."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0", name="debit_not_negative"),
        CheckConstraint("credit >= 0", name="credit_not_negative"),
        CheckConstraint("(debit > 0) <> (credit > 0)", name="one_side_positive"),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    debit: Mapped[money] = mapped_column(default=Decimal(0), server_default="0")
    credit: Mapped[money] = mapped_column(default=Decimal(0), server_default="0")
    loan_id: Mapped[int | None] = mapped_column(BigInteger, index=True)

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)


class AccountingPeriod(IdMixin, CreatedAtMixin, Base):
    """A span of effective dates; once CLOSED, no entry may be dated inside it."""

    __tablename__ = "accounting_periods"
    __table_args__ = (
        CheckConstraint("start_date <= end_date", name="dates_ordered"),
        CheckConstraint(
            "(status = 'closed') = (closed_by IS NOT NULL AND closed_at IS NOT NULL)",
            name="closed_fields",
        ),
        ExcludeConstraint(
            (func.daterange(literal_column("start_date"), literal_column("end_date"), "[]"), "&&"),
            name="ex_accounting_periods_no_overlap",
            using="gist",
        ),
    )

    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[PeriodStatus] = mapped_column(
        Enum(PeriodStatus, name="period_status", values_callable=_values),
        default=PeriodStatus.OPEN,
    )
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
