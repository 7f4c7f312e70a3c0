"""Internal notes staff keep on a conversation.

A note lives in its own table, not among the transcript's messages: nothing that reads the
transcript or the outbox (the web chat's history, the senders, a prompt built from the
conversation) can pick one up, so a note is never sent to the borrower by construction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, IdMixin


class ConversationNote(IdMixin, Base):
    __tablename__ = "conversation_notes"
    __table_args__ = (
        Index("ix_conversation_notes_conversation_id_id", "conversation_id", "id"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
