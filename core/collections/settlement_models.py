"""Settlement offers on a loan in arrears and their payment plans.

An offer's terms never change once made: `balance` (what the loan owed on `offered_on`),
`amount` (what the borrower pays to settle) and `discount` (`balance − amount`), paid as a
lump sum (one instalment) or a plan of several. Lifecycle:

    PROPOSED ─► APPROVED ─► ACCEPTED ─► COMPLETED | BROKEN
       │           │
       └───────────┴──► REJECTED | EXPIRED

An offer within its maker's discount limit is APPROVED when made; above it, it waits as
PROPOSED for a second person with a sufficient role. A loan has at most one open offer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.collections.buckets import Bucket
from core.db.base import Base, CreatedAtMixin, IdMixin, MoneyColumn, money
from core.db.types import str_enum
from core.loans.terms import Frequency
from core.staff.models import Role


class OfferKind(StrEnum):
    LUMP_SUM = "lump_sum"
    PLAN = "plan"


class OfferStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    BROKEN = "broken"
    EXPIRED = "expired"
    REJECTED = "rejected"


OPEN_STATUSES: Final = frozenset({OfferStatus.PROPOSED, OfferStatus.APPROVED,
                                  OfferStatus.ACCEPTED})


class SettlementOffer(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "settlement_offers"
    __table_args__ = (
        CheckConstraint("amount > 0 AND discount >= 0 AND amount + discount = balance",
                        name="amounts"),
        CheckConstraint("expires_on >= offered_on AND grace_days >= 0", name="dates"),
        CheckConstraint("(status IN ('completed', 'broken', 'expired', 'rejected')) "
                        "= (closed_on IS NOT NULL)", name="closed_dated"),
        Index("uq_settlement_offers_open_loan", "loan_id", unique=True,
              postgresql_where=text("status IN ('proposed', 'approved', 'accepted')")),
    )

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[OfferKind] = mapped_column(str_enum(OfferKind, "offer_kind"))
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, "offer_status"))
    currency: Mapped[str] = mapped_column(String(3))
    offered_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    """The last day the borrower may accept."""
    days_past_due: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[Bucket] = mapped_column(str_enum(Bucket, "offer_bucket"))
    balance: Mapped[money]
    amount: Mapped[money]
    discount: Mapped[money]
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, "offer_frequency"))
    grace_days: Mapped[int] = mapped_column(Integer)
    made_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    maker_role: Mapped[Role] = mapped_column(str_enum(Role, "offer_maker_role"))
    required_role: Mapped[Role] = mapped_column(str_enum(Role, "offer_required_role"))
    """The least role whose discount limit covers this offer."""
    approved_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_via: Mapped[str | None] = mapped_column(String(200))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(500))
    paid: Mapped[money] = mapped_column(MoneyColumn, default=Decimal(0))
    """Payments on the loan counted toward the offer, as of `evaluated_on`."""
    evaluated_on: Mapped[dt.date | None] = mapped_column(Date)
    forgiven: Mapped[Decimal | None] = mapped_column(MoneyColumn)
    settlement_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))

    @property
    def discount_ratio(self) -> Decimal:
        """The discount as an exact fraction of the balance (0.1 for 10%)."""
        return self.discount / self.balance


class SettlementInstalment(IdMixin, Base):
    """One payment the offer asks for; `paid` and `covered_on` as of the last evaluation."""

    __tablename__ = "settlement_instalments"
    __table_args__ = (
        UniqueConstraint("offer_id", "number"),
        CheckConstraint("amount > 0 AND paid >= 0 AND paid <= amount", name="amounts"),
    )

    offer_id: Mapped[int] = mapped_column(ForeignKey("settlement_offers.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[money]
    paid: Mapped[money] = mapped_column(MoneyColumn, default=Decimal(0))
    covered_on: Mapped[dt.date | None] = mapped_column(Date)
