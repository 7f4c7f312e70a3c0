"""`lendline chat`: talk to the agent in a terminal, on the embedded defaults.

The conversation is a real one: it goes through the same entry point as WhatsApp, is stored,
checkpointed and shows up in the console. The terminal is its delivery channel: replies are
taken from the outbox and printed, including a staff member's replies from the console as
they arrive. One-time codes, which a phone would receive by text message, are printed as such.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from agent.conversation import Agent, Inbound
from channels import live
from core.conversations.models import Channel, Conversation
from core.conversations.outbox import take_pending
from lendline.assistant import build_agent
from lendline.services import seed_demo_data, start_services
from lendline.settings import Settings

BANNER = """Lendline terminal chat as {phone} on {channel}. Type a message; Ctrl-D or /quit ends.
Demo borrowers: +18685550101 (Asha Ramdial, a current personal loan) and others; an unknown
number is a new borrower."""


async def _print_pending(agent: Agent, conversation_id: int) -> None:
    """Print (and mark sent) every reply of the conversation still waiting in the outbox,
    text messages to the borrower's phone (one-time codes) included: the terminal stands in
    for the phone too."""
    async with agent.session_factory() as session, session.begin():
        channel = (await session.get_one(Conversation, conversation_id)).channel
        now = dt.datetime.now(dt.UTC)
        rows = await take_pending(session, conversation_id=conversation_id, channel=channel,
                                  now=now)
        if channel is not Channel.SMS:
            rows += await take_pending(session, conversation_id=conversation_id,
                                       channel=Channel.SMS, now=now)
        for row in sorted(rows, key=lambda row: row.id):
            if row.channel is not channel:
                print(f"  [text message to {row.address}] {row.body}")
            else:
                print(f"Lendline: {row.body}")


async def _say(agent: Agent, channel: str, phone: str, text: str) -> int:
    result = await agent.converse(Inbound(channel=channel, address=phone, text=text))
    await _print_pending(agent, result.conversation_id)
    if result.escalated:
        print("  [passed to a person: answer it in the console, then hand it back]")
    return result.conversation_id


async def _staff_replies(agent: Agent, redis: Redis, conversation_id: int) -> None:
    async with live.nudges(redis, conversation_id) as nudged:
        async for _ in nudged:
            await _print_pending(agent, conversation_id)


async def run(settings: Settings, *, phone: str, channel: str) -> None:
    services = await start_services(settings)
    try:
        cipher = settings.field_cipher()
        if settings.seed_demo_data:
            today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
            await seed_demo_data(services, cipher=cipher, today=today)
        agent = build_agent(settings, services, cipher=cipher)
        print(BANNER.format(phone=phone, channel=channel))
        listener: asyncio.Task[None] | None = None
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if text.strip() in {"/quit", "/exit"}:
                break
            if text.strip():
                conversation_id = await _say(agent, channel, phone, text)
                if listener is None:
                    listener = asyncio.create_task(
                        _staff_replies(agent, services.redis, conversation_id))
    finally:
        if listener is not None:
            listener.cancel()
        await services.close()
