"""Hand a conversation to a person and take it back.

Opening is idempotent: the agent's escalation node may run again when the graph resumes,
and it must find the escalation it opened rather than open a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.conversations.models import (
    OPEN_ESCALATION,
    ConversationStatus,
    Escalation,
    EscalationReason,
    EscalationStatus,
)
from core.conversations.store import set_status
from core.errors import InvalidTransition, NotFoundError

__all__ = ["PRIORITY", "open_escalation", "open_escalation_for", "resolve_escalation",
           "waiting_escalations"]

# 1 is the most urgent. Abuse and disputes are not more urgent than a hardship claim;
# a locked-out borrower and a complaint are.
PRIORITY: dict[EscalationReason, int] = {
    EscalationReason.COMPLAINT: 1,
    EscalationReason.VERIFICATION_LOCKED: 1,
    EscalationReason.HARDSHIP: 2,
    EscalationReason.DISPUTE: 2,
    EscalationReason.REFERRED_APPLICATION: 2,
    EscalationReason.REQUESTED: 2,
    EscalationReason.MISUNDERSTOOD: 3,
    EscalationReason.ABUSE: 3,
}


async def open_escalation_for(
    session: AsyncSession, *, conversation_id: int,
) -> Escalation | None:
    """The conversation's waiting or claimed escalation, if any."""
    return await session.scalar(
        select(Escalation).where(Escalation.conversation_id == conversation_id,
                                 Escalation.status.in_([EscalationStatus.WAITING,
                                                        EscalationStatus.CLAIMED]))
    )


async def open_escalation(
    session: AsyncSession, *, conversation_id: int, reason: EscalationReason, detail: str,
    now: dt.datetime,
) -> Escalation:
    """Put the conversation in the staff queue, or return the escalation already there."""
    inserted = await session.scalar(
        insert(Escalation)
        .values(conversation_id=conversation_id, reason=reason, detail=detail[:2000],
                priority=PRIORITY[reason], status=EscalationStatus.WAITING, waiting_since=now)
        .on_conflict_do_nothing(index_elements=["conversation_id"],
                                index_where=text(OPEN_ESCALATION))
        .returning(Escalation.id)
    )
    escalation = await open_escalation_for(session, conversation_id=conversation_id)
    assert escalation is not None
    if inserted is None:
        return escalation
    await set_status(session, conversation_id=conversation_id,
                     status=ConversationStatus.ESCALATED, now=now)
    await trail.record(
        session, actor="agent", action="conversation.escalated", entity_type="conversation",
        entity_id=conversation_id,
        after={"escalation": escalation.id, "reason": escalation.reason.value, "detail": detail},
    )
    return escalation


async def resolve_escalation(
    session: AsyncSession, *, conversation_id: int, actor: str, resolution: str,
    now: dt.datetime,
) -> Escalation:
    """Close the open escalation and give the conversation back to the agent."""
    escalation = await open_escalation_for(session, conversation_id=conversation_id)
    if escalation is None:
        raise NotFoundError(f"Conversation {conversation_id} has no open escalation.")
    if escalation.status not in (EscalationStatus.WAITING, EscalationStatus.CLAIMED):
        raise InvalidTransition("This escalation is already resolved.")
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolved_at = now
    escalation.resolution = resolution
    await set_status(session, conversation_id=conversation_id,
                     status=ConversationStatus.ACTIVE, now=now)
    await trail.record(
        session, actor=actor, action="conversation.handed_back", entity_type="conversation",
        entity_id=conversation_id, after={"escalation": escalation.id, "resolution": resolution},
    )
    await session.flush()
    return escalation


async def waiting_escalations(session: AsyncSession) -> Sequence[Escalation]:
    """Open escalations, most urgent and longest waiting first."""
    return (await session.scalars(
        select(Escalation)
        .where(Escalation.status.in_([EscalationStatus.WAITING, EscalationStatus.CLAIMED]))
        .order_by(Escalation.priority, Escalation.waiting_since)
    )).all()
