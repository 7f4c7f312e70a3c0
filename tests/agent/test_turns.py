"""Turns of one conversation never overlap, even across replicas; each turn is one commit."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from agent import checkpoint
from agent.answers import KnowledgeSearch
from agent.conversation import Agent, Inbound
from agent.understanding.model import Understanding
from agent.understanding.offline import OfflineUnderstander
from core.conversations.models import Conversation, ConversationMessage, Direction
from core.crypto import FieldCipher
from core.otp.service import derive_key
from knowledge.embedding import HashingEmbedder
from lendline.settings import Settings


def replica(engine: AsyncEngine, settings: Settings) -> Agent:
    """An agent as a separate app replica would build it, committing for real."""
    return Agent(
        session_factory=async_sessionmaker(engine, expire_on_commit=False),
        understander=OfflineUnderstander(), cipher=FieldCipher(settings.resolved_secret_key()),
        otp_key=derive_key(settings.resolved_secret_key()),
        knowledge=KnowledgeSearch(HashingEmbedder()), lender_name=settings.lender_name,
    )


async def test_two_messages_at_once_are_answered_in_order_and_both_checkpointed(
    agent_engine: AsyncEngine, settings: Settings,
) -> None:
    first, second = replica(agent_engine, settings), replica(agent_engine, settings)
    address = "web-concurrency-check"
    hello = asyncio.create_task(first.converse(Inbound("web", address, "hello")))
    await asyncio.sleep(0)
    question = asyncio.create_task(
        second.converse(Inbound("web", address, "what documents do I need to apply?")))
    greeted, answered = await asyncio.gather(hello, question)

    assert greeted.conversation_id == answered.conversation_id
    assert greeted.intent == "greet" and answered.intent == "question"
    async with async_sessionmaker(agent_engine)() as session:
        rows = (await session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == greeted.conversation_id)
            .order_by(ConversationMessage.id))).all()
        thread = {"configurable": {"thread_id": str(greeted.conversation_id)}}
        with checkpoint.bound_to(await checkpoint.driver_connection(session)):
            state = (await first.graph.aget_state(thread)).values
    # Each turn's inbound message is followed by its own replies: nothing interleaves.
    directions = [row.direction for row in rows]
    assert directions == [Direction.INBOUND, Direction.OUTBOUND,
                          Direction.INBOUND, Direction.OUTBOUND]
    assert rows[0].body == "hello"
    assert rows[2].body == "what documents do I need to apply?"
    said = [entry["text"] for entry in state["history"] if entry["role"] == "borrower"]
    assert said == ["hello", "what documents do I need to apply?"]
    assert state["turns"] == 2


async def test_a_failed_turn_commits_nothing(
    agent_engine: AsyncEngine, settings: Settings,
) -> None:
    class Broken(OfflineUnderstander):
        async def understand(self, text: str, *, expecting: str | None,
                             today: dt.date) -> Understanding:
            raise RuntimeError("the understander fell over")

    agent = replica(agent_engine, settings)
    agent.understander = Broken()
    with pytest.raises(RuntimeError):
        await agent.converse(Inbound("web", "web-failed-turn-check", "hello"))
    async with async_sessionmaker(agent_engine)() as session:
        conversations = await session.scalar(
            select(func.count()).select_from(Conversation)
            .where(Conversation.address == "web-failed-turn-check"))
    assert conversations == 0
