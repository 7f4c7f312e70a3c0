"""Staff actions on an escalated conversation, shared by the console's conversation page and
the staff API (`/api/v1/escalations`): each commits, then announces, then answers.

Each action commits the request's transaction itself rather than leaving it to the unit of
work (which commits only after the response is sent): the answer, and the page a browser is
redirected to, then show the new state, and whoever hears the announcement reads it too.
The session cannot be used after that commit; actions return what the caller shows, read
before it. The announcement goes to the queue's
live streams on every replica (Redis channel `console:escalations`), and for a reply or a
hand-back, the channels' senders (`app.state.outbox_nudge`, which the composition root wires
to the channels' outbox nudge; the console may not import `channels`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Final, Literal

from fastapi import Request
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import utcnow
from admin.permissions import Permission, can
from agent.conversation import TurnResult
from core.conversations import takeover
from core.conversations.models import EscalationStatus, OutboxMessage
from core.conversations.note_models import ConversationNote
from core.errors import NotFoundError, ValidationError
from core.staff.models import StaffUser

log = logging.getLogger(__name__)

TOPIC: Final = "console:escalations"
Resolution = Literal["hand_back", "close"]
RESOLUTIONS: Final[dict[str, str]] = {"hand_back": "hand it back", "close": "close it"}


async def announce(request: Request, *, conversation_id: int | None = None) -> None:
    """After a commit: tell every replica's queue streams that the queue changed and, with
    `conversation_id`, the senders that the conversation has replies waiting. A no-op in an
    app that was not started (tests that drive routes without its services)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return
    try:
        await services.redis.publish(TOPIC, b"1")
    except RedisError as error:  # committed already: the queue pages re-read on their own
        log.warning("Could not announce a queue change: %s", error)
    if conversation_id is not None:
        await request.app.state.outbox_nudge(conversation_id)


def whatsapp_template(request: Request) -> str | None:
    """The approved WhatsApp template (ContentSid) that carries staff replies, if any."""
    templates: dict[str, str] = request.app.state.settings.whatsapp_templates
    return templates.get(takeover.STAFF_REPLY) or None


async def escalation_of(session: AsyncSession, *, conversation_id: int,
                        escalation_id: int) -> takeover.QueueEntry:
    """The escalation, which must belong to the conversation."""
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    if entry.conversation_id != conversation_id:
        raise NotFoundError(f"Conversation {conversation_id} has no escalation "
                            f"{escalation_id}.")
    return entry


async def claim(request: Request, session: AsyncSession, *, escalation_id: int,
                staff: StaffUser) -> takeover.QueueEntry:
    await takeover.claim(session, escalation_id=escalation_id, staff=staff, now=utcnow())
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    await session.commit()
    await announce(request)
    return entry


async def reply(request: Request, session: AsyncSession, *, escalation_id: int,
                staff: StaffUser, body: str) -> OutboxMessage:
    row = await takeover.staff_reply(session, escalation_id=escalation_id, staff=staff,
                                     body=body, now=utcnow(),
                                     whatsapp_template=whatsapp_template(request))
    await session.commit()
    await announce(request, conversation_id=row.conversation_id)
    return row


async def note(session: AsyncSession, *, conversation_id: int, staff: StaffUser,
               body: str) -> ConversationNote:
    """Keep an internal note; nobody is told (the transcript shows it on its next refresh)."""
    added = await takeover.add_note(session, conversation_id=conversation_id, staff=staff,
                                    body=body, now=utcnow())
    await session.commit()
    return added


async def transfer(request: Request, session: AsyncSession, *, escalation_id: int,
                   staff: StaffUser, to_staff_id: int) -> takeover.QueueEntry:
    """Pass the conversation to a colleague whose role may take escalations."""
    target = await session.get(StaffUser, to_staff_id)
    if target is not None and not can(target.role, Permission.ESCALATIONS_CLAIM):
        raise ValidationError(f"{target.name} may not take escalated conversations.")
    await takeover.transfer(session, escalation_id=escalation_id, by=staff,
                            to_staff_id=to_staff_id, now=utcnow())
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    await session.commit()
    await announce(request)
    return entry


async def resolve(request: Request, session: AsyncSession, *, escalation_id: int,
                  staff: StaffUser, action: str,
                  message: str | None) -> tuple[takeover.QueueEntry, TurnResult]:
    """Hand the conversation back to the agent (the graph resumes and the agent tells the
    borrower, or says `message`) or close it; the escalation as resolved, and the turn."""
    if action not in RESOLUTIONS:
        raise ValidationError(f"'{action}' is not a way to end a hand-over; use hand_back "
                              "or close.")
    await takeover.held_by(session, escalation_id=escalation_id, staff=staff,
                           action=RESOLUTIONS[action])
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    # The agent resolves the escalation in its own transaction: release the row lock first.
    await session.commit()
    result: TurnResult = await request.app.state.agent.resume(
        entry.conversation_id, actor=f"staff:{staff.id}", action=action,
        message=(message or "").strip() or None)
    await announce(request, conversation_id=entry.conversation_id)
    return replace(entry, status=EscalationStatus.RESOLVED), result
