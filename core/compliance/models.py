"""Contact compliance records: holds on contact, channel opt-outs, supervisor approvals for
vulnerable borrowers, and the log of every outbound contact attempt (which the caps count)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.customers.models import ContactChannel
from core.db.base import Base, CreatedAtMixin, IdMixin
from core.db.types import str_enum


class ContactPurpose(StrEnum):
    COLLECTIONS = "collections"
    """About a debt: reminders, calls, promise and settlement follow-ups."""
    MARKETING = "marketing"
    """Offers of new products; needs the borrower's marketing consent on the channel."""


class ActorKind(StrEnum):
    AUTOMATED = "automated"
    """A reminder or message sent by the system or the agent without a person deciding."""
    HUMAN = "human"
    """A staff member placing a call or writing a message themselves."""


class HoldType(StrEnum):
    CEASE_CONTACT = "cease_contact"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    VULNERABILITY = "vulnerability"
    LEGAL = "legal"


class ContactHold(IdMixin, CreatedAtMixin, Base):
    """A restriction on contacting a customer from `starts_at` until `ends_at` (open-ended
    when empty) or until released, whichever comes first."""

    __tablename__ = "contact_holds"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="period_ordered"),
        Index("ix_contact_holds_customer", "customer_id", "starts_at"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    hold_type: Mapped[HoldType] = mapped_column(str_enum(HoldType, "hold_type"))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(200))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(200))
    release_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def effective_end(self) -> dt.datetime | None:
        """When the hold stops applying: the earlier of its end and its release."""
        ends = [t for t in (self.ends_at, self.released_at) if t is not None]
        return min(ends) if ends else None


class ChannelOptOut(IdMixin, CreatedAtMixin, Base):
    """One opt-out (or opt back in) decision for a channel; only added, the latest wins."""

    __tablename__ = "channel_opt_outs"
    __table_args__ = (Index("ix_channel_opt_outs_lookup", "customer_id", "channel", "recorded_at"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel, "opt_out_channel"))
    opted_out: Mapped[bool]
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))


class ContactApproval(IdMixin, CreatedAtMixin, Base):
    """A supervisor's approval for people to contact a vulnerable borrower in a window."""

    __tablename__ = "contact_approvals"
    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="period_ordered"),
        Index("ix_contact_approvals_customer", "customer_id", "valid_until"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    approved_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))


class ContactAttempt(IdMixin, CreatedAtMixin, Base):
    """One outbound contact attempt, whatever its outcome. `compliant` and `reasons` are the
    compliance decision at `attempted_at`, before this attempt counted."""

    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_customer", "customer_id", "attempted_at"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[ContactChannel] = mapped_column(
        str_enum(ContactChannel, "attempt_channel")
    )
    purpose: Mapped[ContactPurpose] = mapped_column(str_enum(ContactPurpose, "contact_purpose"))
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "contact_actor_kind"))
    actor: Mapped[str] = mapped_column(String(200))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200, collation="C"), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    compliant: Mapped[bool]
    reasons: Mapped[list[Any]] = mapped_column(JSONB)
