"""Find or open conversations and append to their transcript."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.models import (
    OPEN_CONVERSATION,
    Author,
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
)
from core.errors import NotFoundError

__all__ = ["append_message", "find_open_conversation", "get_conversation", "note_interrupted",
           "open_conversation", "record_inbound", "set_status", "transcript"]


async def open_conversation(
    session: AsyncSession, *, channel: Channel, address: str, now: dt.datetime,
    customer_id: int | None = None,
) -> Conversation:
    """The open conversation on (channel, address), created when there is none.

    Safe under concurrent first messages: the partial unique index decides the one winner.
    """
    statement = (
        insert(Conversation)
        .values(channel=channel, address=address, customer_id=customer_id,
                status=ConversationStatus.ACTIVE, last_activity_at=now)
        .on_conflict_do_nothing(
            index_elements=["channel", "address"], index_where=text(OPEN_CONVERSATION)
        )
    )
    await session.execute(statement)
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.address == address,
               Conversation.status != ConversationStatus.CLOSED)
        .execution_options(populate_existing=True)
    )
    assert conversation is not None
    if customer_id is not None and conversation.customer_id is None:
        conversation.customer_id = customer_id
        await session.flush()
    return conversation


async def find_open_conversation(
    session: AsyncSession, *, channel: Channel, address: str,
) -> Conversation | None:
    """The open conversation on (channel, address), read afresh from the database."""
    return await session.scalar(
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.address == address,
               Conversation.status != ConversationStatus.CLOSED)
        .execution_options(populate_existing=True)
    )


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFoundError(f"There is no conversation {conversation_id}.")
    return conversation


async def record_inbound(
    session: AsyncSession, *, conversation: Conversation, body: str, now: dt.datetime,
    provider_message_id: str | None = None, meta: Mapping[str, Any] | None = None,
) -> ConversationMessage | None:
    """Append the borrower's message; None when this provider message id was already recorded."""
    statement = (
        insert(ConversationMessage)
        .values(conversation_id=conversation.id, channel=conversation.channel,
                direction=Direction.INBOUND, author=Author.BORROWER, body=body,
                provider_message_id=provider_message_id, meta=dict(meta or {}), created_at=now)
        .on_conflict_do_nothing(
            index_elements=["channel", "provider_message_id"],
            index_where=ConversationMessage.provider_message_id.is_not(None),
        )
        .returning(ConversationMessage)
    )
    message = await session.scalar(statement)
    if message is not None:
        conversation.last_activity_at = now
    return message


async def append_message(
    session: AsyncSession, *, conversation: Conversation, direction: Direction, author: Author,
    body: str, now: dt.datetime, intent: str | None = None, meta: Mapping[str, Any] | None = None,
) -> ConversationMessage:
    """Append a message that carries no provider id: replies, staff notes, system notices."""
    message = ConversationMessage(
        conversation_id=conversation.id, channel=conversation.channel, direction=direction,
        author=author, body=body, intent=intent, meta=dict(meta or {}), created_at=now,
    )
    session.add(message)
    conversation.last_activity_at = now
    await session.flush()
    return message


async def note_interrupted(session: AsyncSession, *, message_id: int, heard: str) -> None:
    """Note on a spoken reply that the caller heard only `heard` of it: they spoke over it,
    or the call ended before it was said (""). The transcript keeps what was sent, and says
    what reached the caller."""
    await session.execute(
        update(ConversationMessage)
        .where(ConversationMessage.id == message_id,
               ConversationMessage.direction == Direction.OUTBOUND)
        .values(meta=ConversationMessage.meta.op("||")(
            func.jsonb_build_object("interrupted", true(), "heard", heard)))
    )


async def set_status(
    session: AsyncSession, *, conversation_id: int, status: ConversationStatus,
    now: dt.datetime,
) -> None:
    """Move a conversation to `status`; closing it frees its address for a new one."""
    values: dict[str, Any] = {"status": status, "last_activity_at": now}
    if status is ConversationStatus.CLOSED:
        values["closed_at"] = now
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(**values)
    )


async def transcript(
    session: AsyncSession, *, conversation_id: int, limit: int | None = None,
) -> Sequence[ConversationMessage]:
    """The conversation's messages in order (the latest `limit` when given)."""
    query = select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation_id
    )
    if limit is None:
        return (await session.scalars(query.order_by(ConversationMessage.id))).all()
    latest = (await session.scalars(query.order_by(ConversationMessage.id.desc()).limit(limit)))
    return list(reversed(latest.all()))
