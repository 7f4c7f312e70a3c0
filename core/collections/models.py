"""Collections records: cases with their contacts, notes and promises, the daily delinquency
snapshot, collector capacity, and accounts imported from other lenders.

A case follows ONE debt: a loan of ours (`loan_id`) or an imported account (`account_id`),
never both. A debt has at most one open case; closed cases stay as history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.collections.buckets import Bucket
from core.collections.lifecycle import CaseState, CloseReason
from core.customers.models import ContactChannel
from core.db.base import Base, CreatedAtMixin, IdMixin, MoneyColumn, money
from core.db.types import str_enum


class ContactDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class ContactOutcome(StrEnum):
    PROMISE_TO_PAY = "promise_to_pay"
    PAID = "paid"
    """The borrower says they have paid."""
    REFUSED = "refused"
    CALLBACK_REQUESTED = "callback_requested"
    HARDSHIP = "hardship"
    DISPUTE = "dispute"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    WRONG_NUMBER = "wrong_number"
    DELIVERED = "delivered"
    """An automated message reached the handset; nobody answered it yet."""
    UNDELIVERED = "undelivered"

    @property
    def right_party(self) -> bool:
        """Whether the outcome means the borrower was actually reached."""
        return self in RIGHT_PARTY


RIGHT_PARTY = frozenset({
    ContactOutcome.PROMISE_TO_PAY, ContactOutcome.PAID, ContactOutcome.REFUSED,
    ContactOutcome.CALLBACK_REQUESTED, ContactOutcome.HARDSHIP, ContactOutcome.DISPUTE,
})


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class CollectionImport(IdMixin, CreatedAtMixin, Base):
    """One imported file and its report (`errors`: line, column, message per bad value)."""

    __tablename__ = "collection_imports"

    lender_code: Mapped[str] = mapped_column(String(20), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    rows_total: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class CollectionAccount(IdMixin, CreatedAtMixin, Base):
    """A delinquent account placed with us by a lender, keyed by (lender, their reference).

    The national ID is stored encrypted with its keyed hash (as identity documents are),
    which also links the account to one of our customers when the same ID is on file."""

    __tablename__ = "collection_accounts"
    __table_args__ = (
        UniqueConstraint("lender_code", "external_reference"),
        CheckConstraint(
            "principal_outstanding >= 0 AND arrears_amount >= 0 AND days_past_due >= 0 "
            "AND (last_payment_amount IS NULL OR last_payment_amount > 0)",
            name="amounts_not_negative",
        ),
    )

    lender_code: Mapped[str] = mapped_column(String(20))
    external_reference: Mapped[str] = mapped_column(String(60))
    customer_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    national_id_encrypted: Mapped[str | None] = mapped_column(Text)
    national_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    principal_outstanding: Mapped[money]
    arrears_amount: Mapped[money]
    days_past_due: Mapped[int] = mapped_column(Integer)
    dpd_as_of: Mapped[dt.date] = mapped_column(Date)
    """The date `days_past_due` was reported for; the count grows a day a day from it."""
    last_payment_date: Mapped[dt.date | None] = mapped_column(Date)
    last_payment_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn)
    product: Mapped[str | None] = mapped_column(String(60))
    import_id: Mapped[int] = mapped_column(ForeignKey("collection_imports.id"))
    """The import that last changed the account."""


class AccountPayment(IdMixin, CreatedAtMixin, Base):
    """A payment a lender reported on an imported account (one per account and date)."""

    __tablename__ = "collection_account_payments"
    __table_args__ = (
        UniqueConstraint("account_id", "paid_on"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("collection_accounts.id"))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[money]
    import_id: Mapped[int] = mapped_column(ForeignKey("collection_imports.id"))


class CollectionCase(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "collection_cases"
    __mapper_args__ = MappingProxyType({"eager_defaults": True})  # `number` loaded on flush
    __table_args__ = (
        CheckConstraint("num_nonnulls(loan_id, account_id) = 1", name="one_debt"),
        CheckConstraint(
            "days_past_due >= 0 AND arrears_amount >= 0 AND broken_promises >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("(state = 'closed') = (closed_on IS NOT NULL)", name="closed_dated"),
        Index("uq_collection_cases_open_loan", "loan_id", unique=True,
              postgresql_where=text("state <> 'closed'")),
        Index("uq_collection_cases_open_account", "account_id", unique=True,
              postgresql_where=text("state <> 'closed'")),
        Index("ix_collection_cases_queue", "bucket", "priority",
              postgresql_where=text("state <> 'closed'")),
        Index("ix_collection_cases_officer", "assigned_to",
              postgresql_where=text("state <> 'closed'")),
    )

    number: Mapped[str] = mapped_column(
        String(20),
        Computed("'CC-' || lpad(id::text, greatest(6, length(id::text)), '0')", persisted=True),
        unique=True,
    )
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("collection_accounts.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[CaseState] = mapped_column(str_enum(CaseState, "case_state"))
    bucket: Mapped[Bucket] = mapped_column(str_enum(Bucket, "case_bucket"))
    days_past_due: Mapped[int] = mapped_column(Integer)
    arrears_amount: Mapped[money]
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    close_reason: Mapped[CloseReason | None] = mapped_column(
        str_enum(CloseReason, "case_close_reason"))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer)
    broken_promises: Mapped[int] = mapped_column(Integer)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    state_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseContact(IdMixin, CreatedAtMixin, Base):
    """One contact or attempt: who, when, how, which way, and what came of it."""

    __tablename__ = "collection_contacts"
    __table_args__ = (Index("ix_collection_contacts_case", "case_id", "at"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("collection_cases.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[ContactChannel] = mapped_column(
        str_enum(ContactChannel, "collection_contact_channel"))
    direction: Mapped[ContactDirection] = mapped_column(
        str_enum(ContactDirection, "contact_direction"))
    outcome: Mapped[ContactOutcome] = mapped_column(str_enum(ContactOutcome, "contact_outcome"))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class CaseNote(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "collection_notes"

    case_id: Mapped[int] = mapped_column(ForeignKey("collection_cases.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class PromiseToPay(IdMixin, CreatedAtMixin, Base):
    """A promise to pay `amount` by `promised_date`; payments up to `grace_days` later count."""

    __tablename__ = "collection_promises"
    __table_args__ = (
        CheckConstraint("amount > 0 AND grace_days >= 0 AND promised_date >= made_on",
                        name="amount_and_dates"),
        Index("uq_collection_promises_pending", "case_id", unique=True,
              postgresql_where=text("status = 'pending'")),
        Index("ix_collection_promises_case", "case_id", "id"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("collection_cases.id"))
    amount: Mapped[money]
    currency: Mapped[str] = mapped_column(String(3))
    made_on: Mapped[dt.date] = mapped_column(Date)
    promised_date: Mapped[dt.date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[PromiseStatus] = mapped_column(str_enum(PromiseStatus, "promise_status"))
    paid_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn)
    evaluated_on: Mapped[dt.date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))


class DelinquencySnapshot(Base):
    """Each active loan's days past due and bucket at the end of a day: roll rates and PAR."""

    __tablename__ = "delinquency_snapshots"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    days_past_due: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[Bucket] = mapped_column(str_enum(Bucket, "snapshot_bucket"))
    arrears_amount: Mapped[money]
    principal_outstanding: Mapped[money]


class DelinquencyRun(IdMixin, CreatedAtMixin, Base):
    """The last run for a date and what it found (rerunning a date updates this row)."""

    __tablename__ = "delinquency_runs"

    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    actor: Mapped[str] = mapped_column(String(200))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)


class CollectorCapacity(Base):
    """How many open cases an officer may hold (`DEFAULT_CAPACITY` when no row)."""

    __tablename__ = "collector_capacities"
    __table_args__ = (CheckConstraint("max_open_cases > 0", name="positive"),)

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    max_open_cases: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
