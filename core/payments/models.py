"""Payment intents (a link we asked a borrower to pay) and the provider events we received.

`loan_id` and `customer_id` are plain indexed columns: the loans and customers areas own those
tables, and the foreign keys arrive when they do.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin, money
from core.payments.provider import EventKind


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class IntentStatus(enum.StrEnum):
    CREATED = "created"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"


class EventOutcome(enum.StrEnum):
    """How processing ended. Only APPLIED, RECORDED and IGNORED set `processed_at`."""

    APPLIED = "applied"  # the payment was applied to the loan
    RECORDED = "recorded"  # a status change (expired, failed) was recorded on the intent
    IGNORED = "ignored"  # an event type that carries no payment
    FLAGGED = "flagged"  # needs a person: wrong amount, unknown reference, paid twice
    FAILED = "failed"  # applying raised; the job retries


class PaymentIntent(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "payment_intents"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    amount: Mapped[money]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(20))
    provider_link_id: Mapped[str | None] = mapped_column(String(255))
    link_url: Mapped[str | None] = mapped_column(String(2000))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[IntentStatus] = mapped_column(_enum(IntentStatus, "payment_intent_status"))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(200))


class ReceivedEvent(IdMixin, Base):
    """One webhook event, stored once per (provider, event_id) however often it is delivered."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "payment_event_kind"))
    reference: Mapped[str | None] = mapped_column(String(40), index=True)
    amount: Mapped[Decimal | None] = mapped_column()
    currency: Mapped[str | None] = mapped_column(String(3))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    intent_id: Mapped[int | None] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[EventOutcome | None] = mapped_column(
        _enum(EventOutcome, "payment_event_outcome")
    )
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    applied_as: Mapped[str | None] = mapped_column(String(200))
