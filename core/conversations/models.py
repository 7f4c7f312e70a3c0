"""Conversation, transcript, outbox and escalation records.

- One open conversation per (channel, address); a closed one stays as history.
- A provider's message id is unique per channel, so a duplicate delivery cannot be recorded
  twice (the channel acknowledges it and drops it).
- Every reply is an outbox row written in the turn's transaction, with an idempotency key the
  sender passes to the provider: nothing is lost and nothing is sent twice.
- At most one escalation per conversation is open (waiting or claimed) at a time.
- A number's messaging opt-out (STOP/START) is one row per (channel, address).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin
from core.db.types import str_enum


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    WEB = "web"
    VOICE = "voice"
    TERMINAL = "terminal"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Author(StrEnum):
    BORROWER = "borrower"
    AGENT = "agent"
    STAFF = "staff"
    SYSTEM = "system"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; `next_attempt_at` is when its lease runs out
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class EscalationReason(StrEnum):
    REQUESTED = "requested"
    MISUNDERSTOOD = "misunderstood"
    COMPLAINT = "complaint"
    ABUSE = "abuse"
    REFERRED_APPLICATION = "referred_application"
    HARDSHIP = "hardship"
    DISPUTE = "dispute"
    VERIFICATION_LOCKED = "verification_locked"


class EscalationStatus(StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Partial-index predicates, also used verbatim in ON CONFLICT clauses: PostgreSQL can match an
# index only to a literal predicate, not to one with bound parameters.
OPEN_ESCALATION = "status IN ('waiting', 'claimed')"
OPEN_CONVERSATION = "status <> 'closed'"


class Conversation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_open_address", "channel", "address",
            unique=True, postgresql_where=text(OPEN_CONVERSATION),
        ),
    )

    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "conversation_channel"))
    address: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[ConversationStatus] = mapped_column(
        str_enum(ConversationStatus, "conversation_status"), default=ConversationStatus.ACTIVE
    )
    last_activity_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ConversationMessage(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index(
            "uq_conversation_messages_provider_id", "channel", "provider_message_id",
            unique=True, postgresql_where=text("provider_message_id IS NOT NULL"),
        ),
        Index("ix_conversation_messages_conversation_id_id", "conversation_id", "id"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "message_channel"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "message_direction"))
    author: Mapped[Author] = mapped_column(str_enum(Author, "message_author"))
    body: Mapped[str] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    intent: Mapped[str | None] = mapped_column(String(40))
    meta: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))


class OutboxMessage(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'sending')")),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("conversation_messages.id"), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "outbox_channel"))
    address: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What the provider was asked to send: the body split into messages (SMS segments,
    # length limits), each with its provider id and status; a retry sends only the rest.
    parts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb"))
    segments: Mapped[int | None] = mapped_column(SmallInteger)
    template_sid: Mapped[str | None] = mapped_column(String(40))
    error_code: Mapped[int | None] = mapped_column(Integer)


class Escalation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "escalations"
    __table_args__ = (
        Index(
            "uq_escalations_open_conversation", "conversation_id",
            unique=True, postgresql_where=text(OPEN_ESCALATION),
        ),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    reason: Mapped[EscalationReason] = mapped_column(
        str_enum(EscalationReason, "escalation_reason")
    )
    detail: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(SmallInteger, default=2)
    status: Mapped[EscalationStatus] = mapped_column(
        str_enum(EscalationStatus, "escalation_status"), default=EscalationStatus.WAITING
    )
    waiting_since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)


class NumberOptOut(IdMixin, Base):
    """STOP or START from a number, whoever it belongs to (a customer's own channel opt-outs
    are in compliance); one row per channel and address, the latest word wins."""

    __tablename__ = "number_opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "number_opt_out_channel"))
    address: Mapped[str] = mapped_column(String(200))
    opted_out: Mapped[bool] = mapped_column(Boolean)
    keyword: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
