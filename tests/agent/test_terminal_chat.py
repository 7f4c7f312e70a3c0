"""`lendline chat` delivers from the outbox: every reply printed once, a staff member's reply
from the console included, and nothing left pending for the terminal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from agent.conversation import Agent
from core.conversations.models import Author, OutboxMessage, OutboxStatus
from core.conversations.outbox import enqueue_reply
from core.conversations.store import get_conversation
from lendline.chat import _print_pending, _say

ASHA = "+18685550101"


async def test_replies_and_a_later_staff_reply_are_printed_once(
    agent: Agent, agent_connection: AsyncConnection, capsys: pytest.CaptureFixture[str],
) -> None:
    conversation_id = await _say(agent, "terminal", ASHA, "what's my balance?")
    printed = capsys.readouterr().out
    assert "[text message to +18685550101]" in printed and "code" in printed

    async with agent.session_factory() as session, session.begin():
        conversation = await get_conversation(session, conversation_id)
        await enqueue_reply(session, conversation=conversation, author=Author.STAFF,
                            body="Hi Asha, Maria here.", purpose="staff_reply",
                            now=dt.datetime.now(dt.UTC))
    await _print_pending(agent, conversation_id)
    await _print_pending(agent, conversation_id)
    assert capsys.readouterr().out == "Lendline: Hi Asha, Maria here.\n"
    waiting = await agent_connection.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.status == OutboxStatus.PENDING))
    assert waiting == 0
