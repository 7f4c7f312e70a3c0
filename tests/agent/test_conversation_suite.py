"""Every scripted conversation in tests/conversations, through the channel-agnostic entry."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from agent.conversation import Agent
from tests.agent.clock import Clock
from tests.agent.script import play, scripts


@pytest.mark.parametrize("script", scripts())
async def test_conversation(
    script: dict[str, Any], agent: Agent, agent_connection: AsyncConnection, clock: Clock,
) -> None:
    await play(script, agent, agent_connection, clock)
