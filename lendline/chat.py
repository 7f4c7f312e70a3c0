"""`lendline chat`: talk to the agent in a terminal, on the embedded defaults.

The conversation is a real one: it goes through the same entry point as WhatsApp, is stored,
checkpointed and shows up in the console. One-time codes, which a phone would receive by
text message, are printed as such.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from agent.conversation import Agent, Inbound
from core.crypto import FieldCipher
from lendline.assistant import build_agent
from lendline.services import seed_demo_data, start_services
from lendline.settings import Settings

BANNER = """Lendline terminal chat as {phone} on {channel}. Type a message; Ctrl-D or /quit ends.
Demo borrowers: +18685550101 (Asha Ramdial, a current personal loan) and others; an unknown
number is a new borrower."""


async def _say(agent: Agent, channel: str, phone: str, text: str) -> None:
    result = await agent.converse(Inbound(channel=channel, address=phone, text=text))
    for reply in result.replies:
        if reply["purpose"] == "one_time_code":
            print(f"  [text message to {phone}] {reply['text']}")
        else:
            print(f"Lendline: {reply['text']}")
    if result.escalated:
        print("  [passed to a person: answer it in the console, then hand it back]")


async def run(settings: Settings, *, phone: str, channel: str) -> None:
    services = await start_services(settings)
    try:
        cipher = FieldCipher(settings.resolved_secret_key())
        if settings.seed_demo_data:
            today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
            await seed_demo_data(services, cipher=cipher, today=today)
        agent = build_agent(settings, services, cipher=cipher)
        print(BANNER.format(phone=phone, channel=channel))
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if text.strip() in {"/quit", "/exit"}:
                break
            if text.strip():
                await _say(agent, channel, phone, text)
    finally:
        await services.close()
