"""Replies waiting to be delivered: written in the turn's transaction, sent by the outbox worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationMessage,
    Direction,
    OutboxMessage,
    OutboxStatus,
)
from core.conversations.store import append_message

__all__ = ["Outgoing", "enqueue_replies", "enqueue_reply", "pending", "take_pending"]


async def enqueue_reply(
    session: AsyncSession, *, conversation: Conversation, body: str, now: dt.datetime,
    author: Author = Author.AGENT, purpose: str = "reply", intent: str | None = None,
    transcript_body: str | None = None,
) -> OutboxMessage:
    """Append an outbound message to the transcript and queue it for delivery.

    The idempotency key is derived from the transcript message, so however often delivery is
    retried the provider sees one message. `transcript_body` is what staff see when it must
    differ from what is sent (a one-time code is sent, never shown).
    """
    message = await append_message(
        session, conversation=conversation, direction=Direction.OUTBOUND, author=author,
        body=body if transcript_body is None else transcript_body, now=now, intent=intent,
    )
    row = OutboxMessage(
        conversation_id=conversation.id, message_id=message.id, channel=conversation.channel,
        address=conversation.address, body=body, purpose=purpose,
        idempotency_key=f"message-{message.id}", status=OutboxStatus.PENDING,
        next_attempt_at=now,
    )
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One reply of a turn: what is sent, why, and what staff see if that must differ."""

    body: str
    purpose: str = "reply"
    transcript_body: str | None = None
    channel: Channel | None = None  # deliver elsewhere than the conversation (a code by SMS)
    address: str | None = None


async def enqueue_replies(
    session: AsyncSession, *, conversation: Conversation, replies: Sequence[Outgoing],
    now: dt.datetime, intent: str | None = None, author: Author = Author.AGENT,
) -> list[OutboxMessage]:
    """`enqueue_reply` for a whole turn's replies, in two statements whatever their number."""
    messages = [
        ConversationMessage(
            conversation_id=conversation.id, channel=conversation.channel,
            direction=Direction.OUTBOUND, author=author, intent=intent, meta={},
            created_at=now,
            body=reply.body if reply.transcript_body is None else reply.transcript_body,
        )
        for reply in replies
    ]
    session.add_all(messages)
    await session.flush()
    rows = [
        OutboxMessage(
            conversation_id=conversation.id, message_id=message.id,
            channel=reply.channel or conversation.channel,
            address=reply.address or conversation.address, body=reply.body,
            purpose=reply.purpose, idempotency_key=f"message-{message.id}",
            status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0,
        )
        for message, reply in zip(messages, replies, strict=True)
    ]
    session.add_all(rows)
    if replies:
        conversation.last_activity_at = now
    await session.flush()
    return rows


async def pending(
    session: AsyncSession, *, conversation_id: int | None = None,
) -> Sequence[OutboxMessage]:
    """Undelivered replies, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
    if conversation_id is not None:
        query = query.where(OutboxMessage.conversation_id == conversation_id)
    return (await session.scalars(query.order_by(OutboxMessage.id))).all()


async def take_pending(
    session: AsyncSession, *, conversation_id: int, channel: Channel, now: dt.datetime,
) -> list[OutboxMessage]:
    """Claim a conversation's undelivered replies on a live channel (a web chat or a call's
    socket), oldest first, marking them sent: the caller writes them to its socket.

    Rows another replica is taking are skipped, so two sockets never send one reply twice.
    """
    rows = (await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.conversation_id == conversation_id,
               OutboxMessage.channel == channel,
               OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )).all()
    for row in rows:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.attempts += 1
    await session.flush()
    return list(rows)
