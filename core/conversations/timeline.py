"""A conversation as staff read it: every message of the customer's conversations on every
channel, with the agent's tool calls, its escalation, staff actions and internal notes in
between, and the knowledge sources its answers cited.

Order is by time. A turn stamps its messages with the agent's clock and its audit events
(tool calls, the escalation, a hand-back) with the database's transaction time, taken a few
milliseconds later; an event within `SAME_TURN` of a message belongs to that message's turn
and is placed after what the borrower said and before the agent's replies, where it
happened. (Nobody clicks that fast after a turn: a staff action is its own moment.)
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationMessage,
    Direction,
    OutboxMessage,
)
from core.conversations.note_models import ConversationNote
from core.conversations.store import get_conversation
from core.staff.models import StaffUser

__all__ = ["Entry", "Timeline", "citations", "timeline"]

SAME_TURN: Final = dt.timedelta(milliseconds=500)
SHOWN_ACTIONS: Final = ("conversation.escalated", "conversation.claimed",
                        "conversation.transferred", "conversation.handed_back")
_SOURCE: Final = re.compile(r"\((Source: [^\n]+?)\)\s*$", re.MULTILINE)

Kind = Literal["message", "tool", "event", "note"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline. `author` is borrower, agent, staff or system for a
    message; `by` names the member of staff behind a staff message, note or action."""

    kind: Kind
    at: dt.datetime
    conversation_id: int
    channel: Channel
    author: str
    text: str
    by: str | None = None
    intent: str | None = None
    delivery: str | None = None
    delivery_error: str | None = None
    citations: tuple[str, ...] = ()
    tool: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Timeline:
    conversation: Conversation
    conversations: Sequence[Conversation]
    entries: Sequence[Entry]


def citations(text: str) -> tuple[str, ...]:
    """The "(Source: …)" lines an agent's answer ends with, as "Source: title — section"."""
    return tuple(match.group(1) for match in _SOURCE.finditer(text))


async def _conversations(session: AsyncSession, conversation: Conversation) -> list[
        Conversation]:
    if conversation.customer_id is None:
        return [conversation]
    return list((await session.scalars(
        select(Conversation).where(Conversation.customer_id == conversation.customer_id)
        .order_by(Conversation.id)
    )).all())


async def _staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(StaffUser.id, StaffUser.name)
                                 .where(StaffUser.id.in_(ids)))
    return {staff_id: name for staff_id, name in rows}


def _staff_id(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "staff" and number.isdigit() else None


def _describe(event: AuditEvent, names: Mapping[int, str]) -> str:
    after = event.after or {}
    actor = _staff_id(event.actor)
    who = names.get(actor, event.actor) if actor is not None else event.actor
    if event.action == "conversation.escalated":
        detail = f": “{after['detail']}”" if after.get("detail") else ""
        return f"Escalated to staff ({after.get('reason', 'requested')}){detail}"
    if event.action == "conversation.claimed":
        return f"Claimed by {who}"
    if event.action == "conversation.transferred":
        target = names.get(after.get("claimed_by", 0), "a colleague")
        return f"Transferred to {target} by {who}"
    resolution = str(after.get("resolution", ""))
    action, _, message = resolution.partition(": ")
    said = f", saying “{message}”" if message else ""
    if action == "close":
        return f"Closed by {who}"
    return f"Handed back to the agent by {who}{said}"


async def timeline(session: AsyncSession, *, conversation_id: int) -> Timeline:
    """The whole transcript around `conversation_id`, across the customer's channels."""
    conversation = await get_conversation(session, conversation_id)
    conversations = await _conversations(session, conversation)
    ids = [c.id for c in conversations]
    channel_of = {c.id: c.channel for c in conversations}
    messages = (await session.execute(
        select(ConversationMessage, OutboxMessage.status, OutboxMessage.last_error)
        .outerjoin(OutboxMessage, OutboxMessage.message_id == ConversationMessage.id)
        .where(ConversationMessage.conversation_id.in_(ids))
        .order_by(ConversationMessage.created_at, ConversationMessage.id)
    )).all()
    events = (await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "conversation",
               AuditEvent.entity_id.in_([str(i) for i in ids]),
               or_(AuditEvent.action.like("tool.%"), AuditEvent.action.in_(SHOWN_ACTIONS)))
        .order_by(AuditEvent.id)
    )).all()
    notes = (await session.scalars(
        select(ConversationNote).where(ConversationNote.conversation_id.in_(ids))
        .order_by(ConversationNote.id)
    )).all()
    wanted = {note.staff_id for note in notes}
    for event in events:
        after = event.after or {}
        wanted |= {i for i in (_staff_id(event.actor), after.get("claimed_by"))
                   if isinstance(i, int)}
    names = await _staff_names(session, wanted)

    keyed: list[tuple[tuple[dt.datetime, int, int], Entry]] = []
    for message, status, error in messages:
        keyed.append(((message.created_at, 0 if message.direction is Direction.INBOUND
                       else 2, message.id), Entry(
            kind="message", at=message.created_at, conversation_id=message.conversation_id,
            channel=message.channel, author=message.author.value, text=message.body,
            by=message.meta.get("staff_name"),
            intent=message.intent if message.direction is Direction.INBOUND else None,
            delivery=status.value if status is not None else None, delivery_error=error,
            citations=citations(message.body) if message.author is Author.AGENT else (),
        )))
    stamps = [message.created_at for message, _, _ in messages]
    for event in events:
        index = bisect_right(stamps, event.at)
        turn = stamps[index - 1] if index and event.at - stamps[index - 1] < SAME_TURN \
            else event.at
        conversation_of = int(event.entity_id)
        after = event.after or {}
        if event.action.startswith("tool."):
            entry = Entry(kind="tool", at=event.at, conversation_id=conversation_of,
                          channel=channel_of[conversation_of], author="agent",
                          text=event.action.removeprefix("tool."),
                          tool=event.action.removeprefix("tool."),
                          args=after.get("args") or {}, result=after.get("result") or {})
        else:
            actor = _staff_id(event.actor)
            entry = Entry(kind="event", at=event.at, conversation_id=conversation_of,
                          channel=channel_of[conversation_of],
                          author="staff" if actor is not None else "system",
                          text=_describe(event, names),
                          by=names.get(actor) if actor is not None else None)
        keyed.append(((turn, 1, event.id), entry))
    for note in notes:
        keyed.append(((note.created_at, 3, note.id), Entry(
            kind="note", at=note.created_at, conversation_id=note.conversation_id,
            channel=channel_of[note.conversation_id], author="staff", text=note.body,
            by=names.get(note.staff_id, "A colleague"))))
    keyed.sort(key=lambda pair: pair[0])
    return Timeline(conversation, conversations, [entry for _, entry in keyed])
