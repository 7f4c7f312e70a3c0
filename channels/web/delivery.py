"""What a web chat socket reads from the conversation store: the history shown on (re)connect
and the replies waiting in the outbox for this chat.

The history holds what the borrower said and the replies that were delivered to the chat;
a reply still waiting is not history but delivered as a `reply` frame, and a message that
went elsewhere (a one-time code sent by SMS) is neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.web import protocol
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
    OutboxMessage,
    OutboxStatus,
)
from core.conversations.outbox import take_pending

HISTORY = 200  # messages shown on (re)connect


def provider_id(session_id: str, client_id: str) -> str:
    """The provider message id of a chat message: the client's id, unique per session."""
    return f"{session_id}:{client_id}"


async def latest_conversation(session: AsyncSession, *, address: str) -> Conversation | None:
    """The chat's open conversation, else the one it had last (closed), else None."""
    return await session.scalar(
        select(Conversation)
        .where(Conversation.channel == Channel.WEB, Conversation.address == address)
        .order_by((Conversation.status == ConversationStatus.CLOSED), Conversation.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def history(
    session: AsyncSession, *, conversation_id: int, exclude: Collection[int] = (),
) -> list[protocol.Frame]:
    """The latest messages of the conversation as the chat showed them, oldest first."""
    delivered = and_(OutboxMessage.channel == Channel.WEB,
                     OutboxMessage.status != OutboxStatus.PENDING,
                     OutboxMessage.message_id.not_in(exclude))
    rows = (await session.scalars(
        select(ConversationMessage)
        .outerjoin(OutboxMessage, OutboxMessage.message_id == ConversationMessage.id)
        .where(ConversationMessage.conversation_id == conversation_id,
               or_(ConversationMessage.direction == Direction.INBOUND, delivered))
        .order_by(ConversationMessage.id.desc())
        .limit(HISTORY)
    )).all()
    return [_shown(message) for message in reversed(rows)]


def _shown(message: ConversationMessage) -> protocol.Frame:
    frame: protocol.Frame = {"id": message.id, "author": message.author.value,
                             "text": message.body, "at": message.created_at.isoformat()}
    if message.provider_message_id:
        frame["client_id"] = message.provider_message_id.partition(":")[2]
    names = [str(file.get("filename")) for file in message.meta.get("attachments", [])]
    if names:
        # The transcript reads "caption [file: a.pdf]" for staff; the page shows files apart.
        frame["files"] = names
        frame["text"] = message.body.removesuffix(
            " ".join(f"[file: {name}]" for name in names)).strip()
    return frame


async def take_replies(
    session: AsyncSession, *, conversation_id: int, now: dt.datetime,
    streamed: Collection[str] = (),
) -> list[protocol.Frame]:
    """Claim the chat's waiting replies (marked sent when the caller commits) as `reply`
    frames; one whose text is in `streamed` was already shown token by token."""
    rows = await take_pending(session, conversation_id=conversation_id, channel=Channel.WEB,
                              now=now)
    if not rows:
        return []
    messages = {message.id: message for message in (await session.scalars(
        select(ConversationMessage).where(ConversationMessage.id.in_(
            [row.message_id for row in rows]))
    )).all()}
    return [
        protocol.reply(message_id=row.message_id, author=messages[row.message_id].author.value,
                       text=row.body, at=messages[row.message_id].created_at,
                       streamed=row.body in streamed)
        for row in rows
    ]
