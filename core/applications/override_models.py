"""Overrides of the decision engine's declines, proposed by one staff member and checked by
another (maker-checker).

    PENDING ─► APPROVED   (the application moves DECLINED → APPROVED | COUNTER_OFFERED)
       └─────► REJECTED

A proposal holds the offer it would make, already quoted from the product and the band, and
what the application looked like when it was made (`credit_decision_id`,
`application_changed_at`), so a checker never approves terms nobody checked or a proposal
the application has moved on from. An application has at most one pending proposal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.applications.lifecycle import Status
from core.db.base import Base, CreatedAtMixin, IdMixin, RateColumn, money
from core.db.types import str_enum


class OverrideStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeclineOverride(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "decline_overrides"
    __table_args__ = (
        CheckConstraint("outcome IN ('approved', 'counter_offered')", name="outcome_is_offer"),
        CheckConstraint("offered_amount > 0 AND offered_term > 0 AND offered_rate >= 0",
                        name="offer_positive"),
        CheckConstraint("(status = 'pending') = (checked_by_staff_id IS NULL) "
                        "AND (status = 'pending') = (checked_at IS NULL)", name="checked"),
        CheckConstraint("status <> 'approved' OR checked_by_staff_id <> proposed_by_staff_id",
                        name="four_eyes"),
        Index("uq_decline_overrides_pending_application", "application_id", unique=True,
              postgresql_where=text("status = 'pending'")),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    credit_decision_id: Mapped[int] = mapped_column(ForeignKey("credit_decisions.id"))
    """The engine's decline being overridden."""
    application_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """The application's `status_changed_at` when proposed; a later one makes it stale."""
    status: Mapped[OverrideStatus] = mapped_column(
        str_enum(OverrideStatus, "decline_override_status"))
    outcome: Mapped[Status] = mapped_column(str_enum(Status, "decline_override_outcome"))
    risk_band: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    offered_amount: Mapped[money]
    offered_term: Mapped[int] = mapped_column(Integer)
    offered_rate: Mapped[Decimal] = mapped_column(RateColumn)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    checked_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    check_note: Mapped[str | None] = mapped_column(Text)
    """Why the checker rejected it, or their optional note on approving it."""
