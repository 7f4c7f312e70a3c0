"""STOP, START and HELP, with the carriers' standard synonyms, on WhatsApp and SMS.

A keyword is a message that is nothing but the word (any case, surrounding spaces and a
final full stop or exclamation mark ignored). STOP opts the number out on that channel
whoever it belongs to, and the customer holding the number too (a compliance channel
opt-out), so collections and reminders respect it. START opts back in; since START and YES
are also ordinary answers ("yes" to "shall I submit?"), they are keywords only from a
number that is opted out, and otherwise go to the agent like any message. HELP says what
the number is for and how to stop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.compliance import holds
from core.conversations import opt_outs
from core.conversations.models import Channel
from core.customers.models import ContactChannel


class Keyword(StrEnum):
    """What the word asks for; the value is also the reply's purpose and the message intent."""

    STOP = "opt_out"
    START = "opt_in"
    HELP = "help"


WORDS: Final = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.STOP),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
CHANNEL_NAMES: Final = {Channel.WHATSAPP: "WhatsApp", Channel.SMS: "SMS"}


@dataclass(frozen=True, slots=True)
class Command:
    keyword: Keyword
    word: str  # as the sender spelled it, upper-cased: "UNSUBSCRIBE"


def detect(body: str) -> Command | None:
    """The keyword command the whole message is, or None for any other message."""
    word = body.strip().rstrip(".!").strip().upper()
    keyword = WORDS.get(word)
    return None if keyword is None else Command(keyword, word)


def stop_reply(lender: str) -> str:
    return (f"You're unsubscribed from {lender} messages on this number and won't hear from "
            "us here again. Reply START to resubscribe.")


def start_reply(lender: str) -> str:
    return (f"You're subscribed again to {lender} messages on this number. Reply HELP for "
            "help, STOP to unsubscribe.")


def help_reply(lender: str) -> str:
    return (f"{lender}: ask about a loan, your application, your balance or a payment, or say "
            "\"talk to a person\". Reply STOP to unsubscribe, START to resubscribe.")


async def apply_command(
    session: AsyncSession, *, command: Command, channel: Channel, address: str,
    customer_id: int | None, opted_out: bool, lender: str, now: dt.datetime,
) -> str | None:
    """Carry out the command for (channel, address) and return the reply to queue, if any.

    STOP from a number already opted out is recorded again but not confirmed twice; START
    is only ever called for a number that is opted out (see the module's docstring).
    """
    if command.keyword is Keyword.HELP:
        return help_reply(lender)
    stopping = command.keyword is Keyword.STOP
    await opt_outs.set_opt_out(session, channel=channel, address=address, opted_out=stopping,
                               keyword=command.word, now=now)
    if customer_id is not None:
        await holds.set_opt_out(
            session, customer_id=customer_id, channel=ContactChannel(channel.value),
            opted_out=stopping, now=now, actor=f"{channel.value}:{address}",
            source=f"replied {command.word} by {CHANNEL_NAMES.get(channel, channel.value)}")
    if stopping:
        return None if opted_out else stop_reply(lender)
    return start_reply(lender)
