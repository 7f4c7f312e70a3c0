"""Escalation: the graph pauses with `interrupt()`, a person resolves, `Command(resume=...)`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from agent.conversation import Agent, Inbound
from core.audit.models import AuditEvent
from core.conversations.escalations import open_escalation
from core.conversations.models import (
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Escalation,
    EscalationReason,
    EscalationStatus,
)
from core.errors import NotFoundError, ValidationError
from tests.agent.clock import Clock

ADDRESS = "+18685559301"


async def _escalation(connection: AsyncConnection, conversation_id: int) -> Escalation:
    async with AsyncSession(bind=connection) as session:
        row = await session.scalar(select(Escalation).where(
            Escalation.conversation_id == conversation_id).order_by(Escalation.id.desc()))
        assert row is not None
        return row


async def test_asking_for_a_person_pauses_the_agent_until_staff_hand_back(
    agent: Agent, agent_connection: AsyncConnection, clock: Clock,
) -> None:
    asked = await agent.converse(Inbound("whatsapp", ADDRESS, "let me talk to a real person"))
    assert asked.escalated
    assert "member of our team" in asked.texts[0]
    escalation = await _escalation(agent_connection, asked.conversation_id)
    assert (escalation.reason, escalation.status) == (EscalationReason.REQUESTED,
                                                      EscalationStatus.WAITING)
    assert escalation.waiting_since == clock.now

    clock.advance(minutes=1)
    waiting = await agent.converse(Inbound("whatsapp", ADDRESS, "hello?"))
    again = await agent.converse(Inbound("whatsapp", ADDRESS, "anyone?"))
    assert waiting.texts == ["A member of our team has your conversation and will reply here "
                             "shortly."]
    assert again.replies == [] and again.escalated

    clock.advance(minutes=5)
    back = await agent.resume(asked.conversation_id, actor="staff:3")
    assert back.texts == ["Thanks for waiting. I'm back with you; is there anything else I "
                          "can help with?"]
    escalation = await _escalation(agent_connection, asked.conversation_id)
    assert escalation.status is EscalationStatus.RESOLVED
    after = await agent.converse(Inbound("whatsapp", ADDRESS, "good morning"))
    assert after.intent == "greet" and not after.escalated

    inbound = await agent_connection.scalar(
        select(func.count()).select_from(ConversationMessage).where(
            ConversationMessage.conversation_id == asked.conversation_id,
            ConversationMessage.direction == "inbound"))
    assert inbound == 4


async def test_closing_ends_the_conversation_and_the_next_message_opens_a_new_one(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    asked = await agent.converse(Inbound("sms", ADDRESS, "I want to make a complaint"))
    escalation = await _escalation(agent_connection, asked.conversation_id)
    assert escalation.reason is EscalationReason.COMPLAINT
    closed = await agent.resume(asked.conversation_id, actor="staff:3", action="close")
    assert closed.replies == []
    status = await agent_connection.scalar(
        select(Conversation.status).where(Conversation.id == asked.conversation_id))
    assert status is ConversationStatus.CLOSED
    later = await agent.converse(Inbound("sms", ADDRESS, "hi"))
    assert later.conversation_id != asked.conversation_id


async def test_opening_an_escalation_twice_keeps_one(
    agent: Agent, agent_connection: AsyncConnection, clock: Clock,
) -> None:
    asked = await agent.converse(Inbound("whatsapp", ADDRESS, "talk to a human"))
    async with AsyncSession(bind=agent_connection) as session:
        again = await open_escalation(
            session, conversation_id=asked.conversation_id,
            reason=EscalationReason.REQUESTED, detail="again", now=clock.now)
        opened = await session.scalar(select(func.count()).select_from(Escalation).where(
            Escalation.conversation_id == asked.conversation_id))
        audited = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "conversation.escalated",
            AuditEvent.entity_id == str(asked.conversation_id)))
    assert opened == 1 and audited == 1
    assert again.detail == "talk to a human"


async def test_resuming_a_conversation_nobody_escalated_is_refused(agent: Agent) -> None:
    hello = await agent.converse(Inbound("whatsapp", ADDRESS, "hi"))
    with pytest.raises(NotFoundError):
        await agent.resume(hello.conversation_id, actor="staff:3")


async def test_a_hand_over_ends_only_by_handing_back_or_closing(agent: Agent) -> None:
    asked = await agent.converse(Inbound("whatsapp", ADDRESS, "talk to a human"))
    with pytest.raises(ValidationError, match="hand_back or close"):
        await agent.resume(asked.conversation_id, actor="staff:3", action="forget it")


async def test_an_unknown_channel_is_refused_before_anything_is_stored(agent: Agent) -> None:
    with pytest.raises(ValidationError, match="'fax' is not a channel"):
        await agent.converse(Inbound("fax", ADDRESS, "hi"))
