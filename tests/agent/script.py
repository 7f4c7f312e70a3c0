"""Run a scripted conversation (tests/conversations/*.yaml) through `Agent.converse`.

A script names the channel and the borrower's address and lists turns. Each turn either
says something (`say`, where `{code}` stands for the last one-time code the agent sent) or
is a staff hand-back (`resume`), and states what must hold of the reply: the intent, text
fragments that must (`expect`) or must not (`refuse`) appear, the exact tool calls, whether
the conversation is now with a person, whether the message was a duplicate. `effects` are
SQL scalars checked at the end against the rolled-back test database (`:conversation` and
`:customer` are bound).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from agent.conversation import Agent, Inbound, TurnResult
from tests.agent.clock import Clock

FOLDER = Path(__file__).parent.parent / "conversations"
CODE = re.compile(r"\b(\d{6})\b")


def scripts() -> list[Any]:
    """Every script as a pytest parameter named after its file."""
    return [pytest.param(yaml.safe_load(path.read_text()), id=path.stem)
            for path in sorted(FOLDER.glob("*.yaml"))]


def _describe(number: int, turn: dict[str, Any], result: TurnResult) -> str:
    replies = "\n".join(f"    {reply['purpose']}: {reply['text']}" for reply in result.replies)
    calls = [call["name"] for call in result.tool_calls]
    return (f"turn {number} {turn.get('say', turn.get('resume'))!r}: intent {result.intent}, "
            f"tools {calls}, escalated {result.escalated}\n{replies}")


def _check(number: int, turn: dict[str, Any], result: TurnResult) -> None:
    told = _describe(number, turn, result)
    said = "\n".join(reply["text"] for reply in result.replies).lower()
    if "intent" in turn:
        assert result.intent == turn["intent"], told
    for fragment in turn.get("expect", []):
        assert str(fragment).lower() in said, f"missing {fragment!r} in {told}"
    for fragment in turn.get("refuse", []):
        assert str(fragment).lower() not in said, f"unexpected {fragment!r} in {told}"
    if "tools" in turn:
        assert [call["name"] for call in result.tool_calls] == turn["tools"], told
    if "escalated" in turn:
        assert result.escalated is turn["escalated"], told
    if "duplicate" in turn:
        assert result.duplicate is turn["duplicate"], told
    if turn.get("silent"):
        assert not result.replies, told


async def play(
    script: dict[str, Any], agent: Agent, connection: AsyncConnection, clock: Clock,
) -> None:
    channel = script.get("channel", "whatsapp")
    address = str(script.get("address", "+18685550101"))
    code = "000000"
    conversation_id: int | None = None
    customer_id: int | None = None
    for number, turn in enumerate(script["turns"], start=1):
        if "wait_minutes" in turn:
            clock.advance(minutes=turn["wait_minutes"])
        if "resume" in turn:
            assert conversation_id is not None, "a hand-back needs a conversation"
            result = await agent.resume(conversation_id, actor="staff:test",
                                        action=turn["resume"], message=turn.get("message"))
        else:
            said = str(turn["say"]).replace("{code}", code)
            result = await agent.converse(Inbound(
                channel=channel, address=address, text=said,
                provider_message_id=turn.get("message_id"), dtmf=turn.get("dtmf"),
            ))
        conversation_id = result.conversation_id
        for reply in result.replies:
            found = CODE.search(reply["text"]) if reply["purpose"] == "one_time_code" else None
            if found:
                code = found.group(1)
        for call in result.tool_calls:
            if call["result"].get("customer_id") and call["result"].get("verified"):
                customer_id = call["result"]["customer_id"]
        _check(number, turn, result)
    for effect in script.get("effects", []):
        value = await connection.scalar(
            text(effect["sql"]), {"conversation": conversation_id, "customer": customer_id},
        )
        assert value == effect["equals"], f"{effect['sql']} gave {value!r}"
