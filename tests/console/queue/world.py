"""A small world for takeover tests: a WhatsApp conversation escalated at NOW by a known
customer who also chatted on the web, and three staff members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.escalations import open_escalation
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationMessage,
    Escalation,
    EscalationReason,
    OutboxMessage,
)
from core.conversations.note_models import ConversationNote
from core.conversations.store import open_conversation, record_inbound
from core.customers.service import register_customer
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
PHONE = "+18685550101"
PASSWORD = "takeover-password-1"


@dataclass
class World:
    conversation: Conversation
    escalation: Escalation
    andre: StaffUser  # an agent
    colette: StaffUser  # a collections officer
    sita: StaffUser  # a supervisor
    customer_id: int


async def world(session: AsyncSession, *, last_inbound: dt.datetime = NOW) -> World:
    customer = await register_customer(
        session, first_name="Asha", last_name="Ramdial", date_of_birth=dt.date(1990, 5, 1),
        today=NOW.date(), actor="test")
    earlier = last_inbound - dt.timedelta(days=2)
    web = await open_conversation(session, channel=Channel.WEB, address="web-session-1",
                                  now=earlier, customer_id=customer.id)
    await record_inbound(session, conversation=web, body="hi from the web", now=earlier)
    conversation = await open_conversation(session, channel=Channel.WHATSAPP, address=PHONE,
                                           now=last_inbound, customer_id=customer.id)
    await record_inbound(session, conversation=conversation, body="I want a person",
                         now=last_inbound, provider_message_id=f"SM{last_inbound.timestamp()}")
    escalation = await open_escalation(
        session, conversation_id=conversation.id, reason=EscalationReason.REQUESTED,
        detail="I want a person", now=last_inbound)
    people = {role: await create_staff(session, email=f"{role.value}@takeover.example",
                                       name=name, role=role, password=PASSWORD, actor="test")
              for role, name in ((Role.AGENT, "Andre Agent"),
                                 (Role.COLLECTOR, "Colette Collector"),
                                 (Role.SUPERVISOR, "Sita Supervisor"))}
    return World(conversation, escalation, people[Role.AGENT], people[Role.COLLECTOR],
                 people[Role.SUPERVISOR], customer.id)


async def counts(session: AsyncSession) -> list[int]:
    """Transcript messages, outbox rows and notes: unchanged means nothing was written."""
    return [int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (ConversationMessage, OutboxMessage, ConversationNote)]
