"""Staff taking over an escalated conversation: the queue, claiming, passing it to a
colleague, replying to the borrower and keeping internal notes.

Claiming is one compare-and-set (`UPDATE … WHERE status = 'waiting'`): when two staff claim
at once, PostgreSQL makes the second wait for the first's row lock and then finds the row no
longer waiting, so exactly one wins and the other is told who has it. Replying and passing
the conversation on lock the escalation row, so they cannot interleave with a transfer.
Only the member of staff holding the conversation may reply to, transfer or resolve it;
supervisors and admins may act on any (someone must, when the holder has gone home).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
    Escalation,
    EscalationReason,
    EscalationStatus,
    OutboxMessage,
)
from core.conversations.note_models import ConversationNote
from core.conversations.outbox import enqueue_reply
from core.conversations.store import get_conversation
from core.customers.models import Customer
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.staff.models import Role, StaffUser

__all__ = ["MAX_TEXT", "OVERSEERS", "STAFF_REPLY", "WHATSAPP_WINDOW", "QueueEntry",
           "ReplyWindow", "add_note", "claim", "held_by", "queue", "queue_entry",
           "reply_window", "staff_reply", "transfer"]

MAX_TEXT: Final = 4_000  # characters in a reply or a note (the web chat's own limit)
STAFF_REPLY: Final = "staff_reply"  # the outbox purpose, and the WhatsApp template's key
WHATSAPP_WINDOW: Final = dt.timedelta(hours=24)
OVERSEERS: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
OPEN: Final = (EscalationStatus.WAITING, EscalationStatus.CLAIMED)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One escalation as the queue shows it."""

    escalation_id: int
    conversation_id: int
    channel: Channel
    address: str
    customer_id: int | None
    customer_name: str | None
    reason: EscalationReason
    detail: str
    priority: int
    status: EscalationStatus
    waiting_since: dt.datetime
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_at: dt.datetime | None


def _entries_query() -> Select[Escalation, Conversation, str, str, str]:
    return (
        select(Escalation, Conversation, Customer.first_name, Customer.last_name,
               StaffUser.name)
        .join(Conversation, Conversation.id == Escalation.conversation_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(StaffUser, StaffUser.id == Escalation.claimed_by)
    )


def _entry(escalation: Escalation, conversation: Conversation, first: str | None,
           last: str | None, holder: str | None) -> QueueEntry:
    return QueueEntry(
        escalation_id=escalation.id, conversation_id=conversation.id,
        channel=conversation.channel, address=conversation.address,
        customer_id=conversation.customer_id,
        customer_name=f"{first} {last}" if first is not None else None,
        reason=escalation.reason, detail=escalation.detail, priority=escalation.priority,
        status=escalation.status, waiting_since=escalation.waiting_since,
        claimed_by=escalation.claimed_by, claimed_by_name=holder,
        claimed_at=escalation.claimed_at,
    )


async def queue(session: AsyncSession) -> list[QueueEntry]:
    """Open escalations (waiting or claimed), most urgent and longest waiting first."""
    rows = await session.execute(
        _entries_query().where(Escalation.status.in_(OPEN))
        .order_by(Escalation.priority, Escalation.waiting_since, Escalation.id)
    )
    return [_entry(*row) for row in rows]


async def queue_entry(session: AsyncSession, *, escalation_id: int) -> QueueEntry:
    """One escalation, open or not, as the queue would show it."""
    row = (await session.execute(
        _entries_query().where(Escalation.id == escalation_id)
        .execution_options(populate_existing=True)
    )).one_or_none()
    if row is None:
        raise NotFoundError(f"There is no escalation {escalation_id}.")
    return _entry(*row)


async def _locked(session: AsyncSession, escalation_id: int) -> Escalation:
    escalation = await session.scalar(
        select(Escalation).where(Escalation.id == escalation_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    if escalation is None:
        raise NotFoundError(f"There is no escalation {escalation_id}.")
    return escalation


async def _holder_name(session: AsyncSession, escalation: Escalation) -> str:
    name = await session.scalar(select(StaffUser.name)
                                .where(StaffUser.id == escalation.claimed_by))
    return name or "Another member of staff"


def _still_open(escalation: Escalation) -> None:
    if escalation.status not in OPEN:
        raise InvalidTransition(f"This escalation is already {escalation.status.value}; the "
                                "conversation is no longer waiting for staff.")


async def claim(
    session: AsyncSession, *, escalation_id: int, staff: StaffUser, now: dt.datetime,
) -> Escalation:
    """Take a waiting escalation. Of two staff claiming at once exactly one wins; the other
    gets a `ConflictError` naming who has it. Claiming one's own claim again is a no-op."""
    won = await session.scalar(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.WAITING)
        .values(status=EscalationStatus.CLAIMED, claimed_by=staff.id, claimed_at=now)
        .returning(Escalation.id)
    )
    escalation = await _locked(session, escalation_id)
    if won is None:
        _still_open(escalation)
        if escalation.claimed_by == staff.id:
            return escalation
        holder = await _holder_name(session, escalation)
        when = f"{escalation.claimed_at:%H:%M} UTC" if escalation.claimed_at else "earlier"
        raise ConflictError(f"{holder} claimed this conversation first ({when}). Ask them, "
                            "or a supervisor, to transfer it to you.")
    await trail.record(
        session, actor=f"staff:{staff.id}", action="conversation.claimed",
        entity_type="conversation", entity_id=escalation.conversation_id,
        after={"escalation": escalation.id, "claimed_by": staff.id},
    )
    return escalation


async def held_by(
    session: AsyncSession, *, escalation_id: int, staff: StaffUser, action: str,
) -> Escalation:
    """The open escalation, locked, if `staff` may do `action` ("reply to it") because they
    hold it or oversee; otherwise a `ConflictError` saying who may."""
    escalation = await _locked(session, escalation_id)
    _still_open(escalation)
    if staff.role in OVERSEERS or escalation.claimed_by == staff.id:
        return escalation
    if escalation.status is EscalationStatus.WAITING:
        raise ConflictError(f"Claim this conversation before you {action}.")
    holder = await _holder_name(session, escalation)
    raise ConflictError(f"{holder} has this conversation; only they or a supervisor may "
                        f"{action}.")


async def transfer(
    session: AsyncSession, *, escalation_id: int, by: StaffUser, to_staff_id: int,
    now: dt.datetime,
) -> Escalation:
    """Pass the conversation to a colleague, who then holds it (claimed by them)."""
    escalation = await held_by(session, escalation_id=escalation_id, staff=by,
                               action="transfer it")
    target = await session.get(StaffUser, to_staff_id)
    if target is None or not target.active:
        raise ValidationError("Choose an active colleague to transfer the conversation to.")
    if escalation.claimed_by == target.id:
        raise ValidationError(f"{target.name} already has this conversation.")
    before = {"claimed_by": escalation.claimed_by}
    escalation.status = EscalationStatus.CLAIMED
    escalation.claimed_by = target.id
    escalation.claimed_at = now
    await session.flush()
    await trail.record(
        session, actor=f"staff:{by.id}", action="conversation.transferred",
        entity_type="conversation", entity_id=escalation.conversation_id,
        before=before, after={"escalation": escalation.id, "claimed_by": target.id},
    )
    return escalation


@dataclass(frozen=True, slots=True)
class ReplyWindow:
    """Whether a free-text WhatsApp reply can go now, or which template carries it.

    Mirrors the rule the WhatsApp sender applies (channels/twilio/window.py): free text only
    within 24 hours of the number's last message; outside, an approved template or nothing.
    """

    last_inbound_at: dt.datetime | None
    closes_at: dt.datetime | None
    open: bool
    template: str | None

    @property
    def sendable(self) -> bool:
        return self.open or self.template is not None

    @property
    def explanation(self) -> str:
        if self.open:
            assert self.closes_at is not None
            return (f"Inside WhatsApp's 24-hour window until {self.closes_at:%Y-%m-%d %H:%M} "
                    "UTC: your reply goes as you write it.")
        if self.template is not None:
            return ("Outside WhatsApp's 24-hour window: your reply goes inside the approved "
                    f"'{STAFF_REPLY}' template ({self.template}), on one line.")
        return ("Outside WhatsApp's 24-hour window, and no approved WhatsApp template is "
                f"configured for '{STAFF_REPLY}' messages (LENDLINE_WHATSAPP_TEMPLATES), so "
                "WhatsApp would refuse a reply. Contact the borrower another way.")


async def reply_window(
    session: AsyncSession, *, address: str, now: dt.datetime, template: str | None,
) -> ReplyWindow:
    """The WhatsApp window of `address` at `now`; `template` is the ContentSid configured
    for staff replies, if any."""
    last: dt.datetime | None = await session.scalar(
        select(func.max(ConversationMessage.created_at))
        .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
        .where(Conversation.channel == Channel.WHATSAPP, Conversation.address == address,
               ConversationMessage.channel == Channel.WHATSAPP,
               ConversationMessage.direction == Direction.INBOUND)
    )
    closes = last + WHATSAPP_WINDOW if last is not None else None
    return ReplyWindow(last, closes, closes is not None and now < closes, template)


def _text(body: str, what: str) -> str:
    text = body.strip()
    if not text:
        raise ValidationError(f"Write the {what} first: it is empty.")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"A {what} can be at most {MAX_TEXT:,} characters; this one has "
                              f"{len(text):,}.")
    return text


async def staff_reply(
    session: AsyncSession, *, escalation_id: int, staff: StaffUser, body: str,
    now: dt.datetime, whatsapp_template: str | None,
) -> OutboxMessage:
    """Queue `body` for the borrower on the conversation's channel, as `staff`; the caller
    nudges the senders after committing. On WhatsApp outside the 24-hour window it needs
    `whatsapp_template` (the ContentSid for staff replies) or it is refused."""
    text = _text(body, "reply")
    escalation = await held_by(session, escalation_id=escalation_id, staff=staff,
                               action="reply to it")
    conversation = await get_conversation(session, escalation.conversation_id)
    if conversation.status is ConversationStatus.CLOSED:
        raise InvalidTransition("This conversation is closed; the borrower can no longer be "
                                "answered in it.")
    if conversation.channel is Channel.WHATSAPP:
        window = await reply_window(session, address=conversation.address, now=now,
                                    template=whatsapp_template)
        if not window.sendable:
            raise ValidationError(window.explanation)
    row = await enqueue_reply(session, conversation=conversation, body=text, now=now,
                              author=Author.STAFF, purpose=STAFF_REPLY)
    message = await session.get_one(ConversationMessage, row.message_id)
    message.meta = {"staff_id": staff.id, "staff_name": staff.name}
    await trail.record(
        session, actor=f"staff:{staff.id}", action="conversation.staff_replied",
        entity_type="conversation", entity_id=conversation.id,
        after={"escalation": escalation.id, "message": message.id, "outbox": row.id},
    )
    return row


async def add_note(
    session: AsyncSession, *, conversation_id: int, staff: StaffUser, body: str,
    now: dt.datetime,
) -> ConversationNote:
    """Keep an internal note on the conversation: for staff only, never sent."""
    text = _text(body, "note")
    await get_conversation(session, conversation_id)
    note = ConversationNote(conversation_id=conversation_id, staff_id=staff.id, body=text,
                            created_at=now)
    session.add(note)
    await session.flush()
    await trail.record(
        session, actor=f"staff:{staff.id}", action="conversation.note_added",
        entity_type="conversation", entity_id=conversation_id, after={"note": note.id},
    )
    return note
