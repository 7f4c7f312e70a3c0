"""Loan records: the loan with its contract snapshot and cached balances, its instalments,
its transactions and how each transaction was allocated.

Status: a loan exists from the moment it is disbursed (before that it is an application), so
it starts ACTIVE. A restructured loan stays ACTIVE: `schedule_version` counts its schedules
and the RESTRUCTURE transaction records the old and new terms. A reversed disbursement leaves
the loan CANCELLED.

The cached balances on `Loan` are the loan sub-ledger: they always equal the sums over the
loan's live (not cancelled) instalments, except on a WRITTEN_OFF loan, whose balances are
zero (the write-off moved them out). `credit_balance` is money the borrower paid beyond what
was owed and not yet used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin, RateColumn, money
from core.db.types import str_enum
from core.loans.terms import Frequency, InterestMethod
from core.products.spec import OverpaymentHandling


class LoanStatus(StrEnum):
    ACTIVE = "active"
    PAID_OFF = "paid_off"
    """Every instalment was paid as scheduled (or ahead of it)."""
    SETTLED = "settled"
    """Closed early by paying the early-settlement amount."""
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"
    """The disbursement was reversed."""


class InstalmentStatus(StrEnum):
    PENDING = "pending"
    """Not yet due."""
    DUE = "due"
    """Due on or before the last servicing date and not fully paid."""
    PAID = "paid"
    CANCELLED = "cancelled"
    """Replaced by a later schedule version (prepayment or restructure)."""


class TransactionType(StrEnum):
    DISBURSEMENT = "disbursement"
    REPAYMENT = "repayment"
    CREDIT_APPLIED = "credit_applied"
    """The credit balance used for instalments as they fall due."""
    FEE = "fee"
    PENALTY = "penalty"
    ACCRUAL = "accrual"
    WRITE_OFF = "write_off"
    RECOVERY = "recovery"
    REVERSAL = "reversal"
    RESTRUCTURE = "restructure"
    SETTLEMENT = "settlement"


class Component(StrEnum):
    """What part of a loan an allocation touched, in the order payments pay them."""

    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    CREDIT = "credit"
    """The credit balance (signed: + created, − used)."""


class Loan(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(
            "principal_outstanding >= 0 AND interest_receivable >= 0 "
            "AND fees_outstanding >= 0 AND penalties_outstanding >= 0 AND credit_balance >= 0 "
            "AND arrears_amount >= 0 AND days_past_due >= 0",
            name="balances_not_negative",
        ),
        CheckConstraint("principal > 0 AND amount_financed >= principal", name="amounts"),
        Index("ix_loans_status", "status", "id"),
        {"postgresql_with": {"fillfactor": 80, "toast_tuple_target": 128}},
    )
    # `number` is computed by the database: fetch it with every write instead of expiring it,
    # so reading it never needs a lazy load in async code. (SQLAlchemy declares the attribute
    # on its base, so mypy refuses the ClassVar annotation ruff asks for.)
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    number: Mapped[str] = mapped_column(
        String(20),
        Computed("'LN-' || lpad(id::text, greatest(6, length(id::text)), '0')", persisted=True),
        unique=True,
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[LoanStatus] = mapped_column(str_enum(LoanStatus, "loan_status"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)

    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    principal: Mapped[money]
    amount_financed: Mapped[money]
    deducted_fee: Mapped[money]
    financed_fee: Mapped[money]
    annual_rate: Mapped[Decimal] = mapped_column(RateColumn)
    term: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, "loan_frequency"))
    method: Mapped[InterestMethod] = mapped_column(str_enum(InterestMethod, "loan_method"))
    disbursed_on: Mapped[dt.date] = mapped_column(Date)
    maturity_date: Mapped[dt.date] = mapped_column(Date)
    schedule_version: Mapped[int] = mapped_column(Integer, default=1)

    overpayment: Mapped[OverpaymentHandling] = mapped_column(
        str_enum(OverpaymentHandling, "loan_overpayment")
    )
    late_fee: Mapped[money]
    late_fee_grace_days: Mapped[int] = mapped_column(Integer)
    early_settlement_fee_percent: Mapped[Decimal] = mapped_column(RateColumn)

    principal_outstanding: Mapped[money]
    interest_receivable: Mapped[money]
    accrued_through: Mapped[dt.date] = mapped_column(Date)
    fees_outstanding: Mapped[money]
    penalties_outstanding: Mapped[money]
    credit_balance: Mapped[money]
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    oldest_unpaid_due_date: Mapped[dt.date | None] = mapped_column(Date)
    arrears_amount: Mapped[money]
    written_off_amount: Mapped[money]
    recovered_amount: Mapped[money]


class Instalment(IdMixin, Base):
    """One row of a schedule version. Interest accrues from `period_start` to `due_date`;
    `interest_carried` is interest accrued under an earlier version and owed with this row."""

    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("loan_id", "version", "number"),
        CheckConstraint(
            "principal_paid BETWEEN 0 AND principal_due AND fee_paid BETWEEN 0 AND fee_due "
            "AND penalty_paid BETWEEN 0 AND penalty_due "
            "AND interest_paid BETWEEN 0 AND interest_accrued "
            "AND interest_accrued BETWEEN interest_carried AND interest_due "
            "AND interest_carried >= 0 AND principal_due >= 0",
            name="amounts_consistent",
        ),
        CheckConstraint("period_start <= due_date", name="period_ordered"),
        Index(
            "ix_loan_instalments_pending", "period_start", "due_date",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_loan_instalments_due", "loan_id", postgresql_where=text("status = 'due'")),
        {"postgresql_with": {"fillfactor": 80}},
    )

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    principal_due: Mapped[money]
    interest_due: Mapped[money]
    fee_due: Mapped[money]
    penalty_due: Mapped[money]
    principal_paid: Mapped[money]
    interest_paid: Mapped[money]
    fee_paid: Mapped[money]
    penalty_paid: Mapped[money]
    interest_accrued: Mapped[money]
    interest_carried: Mapped[money]
    status: Mapped[InstalmentStatus] = mapped_column(
        str_enum(InstalmentStatus, "instalment_status")
    )
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    late_fee_charged: Mapped[bool] = mapped_column(default=False)
    created_by_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_by_transaction_id: Mapped[int | None] = mapped_column(BigInteger)


class LoanTransaction(IdMixin, CreatedAtMixin, Base):
    """One event on a loan. `balance_change` is its signed effect on the total the borrower
    owes (principal + interest receivable + fees + penalties − credit balance)."""

    __tablename__ = "loan_transactions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("reverses_transaction_id <> id", name="not_self_reversal"),
        Index("ix_loan_transactions_loan", "loan_id", "effective_date", "id"),
        Index(
            "uq_loan_transactions_reverses", "reverses_transaction_id", unique=True,
            postgresql_where=text("reverses_transaction_id IS NOT NULL"),
        ),
    )

    loan_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[TransactionType] = mapped_column(str_enum(TransactionType, "transaction_type"))
    amount: Mapped[money]
    balance_change: Mapped[money]
    effective_date: Mapped[dt.date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(200, collation="C"), unique=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("loan_transactions.id")
    )
    reversed_by_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    @property
    def reversed(self) -> bool:
        return self.reversed_by_transaction_id is not None


class Allocation(IdMixin, Base):
    """How much of a transaction went to one component of one instalment (or of the loan,
    when `instalment_id` is empty: a credit, a prepayment, a write-off)."""

    __tablename__ = "loan_allocations"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    transaction_id: Mapped[int] = mapped_column(BigInteger, index=True)
    instalment_id: Mapped[int | None] = mapped_column(BigInteger)
    component: Mapped[Component] = mapped_column(str_enum(Component, "allocation_component"))
    amount: Mapped[money]


class ServicingRun(IdMixin, CreatedAtMixin, Base):
    """One servicing pass that changed something: the nightly run over every active loan
    (`loan_id` empty) or one loan brought up to date before an operation on it."""

    __tablename__ = "servicing_runs"
    __table_args__ = (Index("ix_servicing_runs_as_of", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date)
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
