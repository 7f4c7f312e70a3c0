"""The work behind an acknowledged WhatsApp or SMS message, run by the job worker.

The webhook only checks the message and queues `handle_message` (see `accept`), so Twilio
gets its answer in milliseconds however long the agent takes. The job row is the durable
record of the message until its turn commits: a crash or a failed attempt is retried, and a
message whose every attempt failed stays in the queue as a failed job with its content.

Duplicates are dropped three times over: a MessageSid already queued cannot be queued again
(procrastinate's queueing lock), the webhook remembers acknowledged SIDs in Redis for a day,
and the transcript's unique provider id decides for good inside the turn's transaction. A
sender's messages are handled one at a time in the order they arrived (procrastinate's
`lock` per sender).

The job decides first whether the agent should answer at all: STOP and START change the
number's opt-out, HELP gets the help text, an opted-out number and a sender over the rate
limit are kept in the transcript unanswered (the first message over the limit gets one
notice). Otherwise it downloads the media and gives the message to the agent; files that
were refused are explained after the agent's answer (or instead of it, when the message
was nothing but refused files).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.conversation import Agent, Attachment, Inbound
from agent.lock import hold_conversation
from channels import live
from channels.rate_limit import Verdict
from channels.twilio import keywords
from channels.twilio.inbound import InboundMessage
from channels.twilio.media import (
    NOT_DOWNLOADED,
    TWILIO_API,
    Fetched,
    MediaSource,
    MediaUnavailable,
    Refused,
)
from core.conversations import opt_outs
from core.conversations.models import Author, Channel, Conversation, ConversationMessage
from core.conversations.outbox import enqueue_reply
from core.conversations.store import get_conversation, open_conversation, record_inbound
from core.customers.contacts import find_customer_by_contact
from core.customers.models import ContactChannel
from core.telemetry import context as log_context

log = logging.getLogger(__name__)

blueprint = procrastinate.Blueprint()
RETRIES: Final = 6  # waits of 2, 4 … 64 s: a little over two minutes in all
RATE_NOTICE: Final = ("You're sending messages faster than we can answer them, so we'll pause "
                      "for a minute. Your messages are saved; send your question again after.")


class TwilioSettings(Protocol):
    twilio_account_sid: str | None
    twilio_auth_token: SecretStr | None
    twilio_api_url: str | None


@dataclass(frozen=True, slots=True)
class Wiring:
    agent: Agent
    redis: Redis
    media: MediaSource | None


_wiring: Wiring | None = None


def bind(agent: Agent, redis: Redis, settings: TwilioSettings) -> None:
    """Give the jobs the process's agent, Redis and Twilio credentials (at start-up)."""
    global _wiring
    media = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        media = MediaSource(settings.twilio_account_sid,
                            settings.twilio_auth_token.get_secret_value(),
                            api_url=settings.twilio_api_url or TWILIO_API)
    _wiring = Wiring(agent, redis, media)


def wiring() -> Wiring:
    if _wiring is None:
        raise RuntimeError("Twilio inbound jobs are not bound; call inbound_jobs.bind() at "
                           "start-up. The job will be retried.")
    return _wiring


async def accept(message: InboundMessage, *, verdict: Verdict) -> bool:
    """Queue the message's job, committed when this returns; False when a job for the same
    MessageSid is already waiting, i.e. this delivery is a duplicate.

    The job row is all the webhook writes, so its one INSERT on procrastinate's own pool is
    the durable record: there is no other change it must commit together with.
    """
    try:
        await handle_message.configure(
            queueing_lock=f"twilio-in:{message.sid}",
            lock=f"twilio-in:{message.channel}:{message.address}",
        ).defer_async(message=message.to_json(), verdict=verdict.value)
    except AlreadyEnqueued:
        return False
    return True


@blueprint.task(name="handle_message", queue="messaging", pass_context=True,
                retry=procrastinate.RetryStrategy(max_attempts=RETRIES, exponential_wait=2))
async def handle_message(context: procrastinate.JobContext, message: dict[str, Any],
                         verdict: str) -> str:
    """Answer one acknowledged message; returns what became of it."""
    assert context.job is not None
    return await handle(wiring(), InboundMessage.from_json(message), Verdict(verdict),
                        final_attempt=context.job.attempts >= RETRIES)


async def handle(w: Wiring, message: InboundMessage, verdict: Verdict, *,
                 final_attempt: bool = False) -> str:
    """Handle `message`: "duplicate", what the channel did without the agent, or "answered"."""
    log_context.bind(channel=message.channel)
    outcome = await _triage(w, message, verdict)
    if outcome is not None:
        return outcome
    fetched = await _fetch(w, message, final_attempt=final_attempt)
    meta: dict[str, Any] = dict(message.meta)
    if fetched.refused:
        meta["refused_media"] = [{"content_type": item.content_type, "reason": item.reason}
                                 for item in fetched.refused]
        if not fetched.files and not message.body.strip():
            return await _answer_alone(w, message, meta, "media_refused", refusal(fetched.refused))
    result = await w.agent.converse(Inbound(
        channel=message.channel, address=message.address, text=message.body,
        provider_message_id=message.sid, meta=meta,
        attachments=tuple(Attachment(file.filename, file.content_type, file.content)
                          for file in fetched.files),
    ))
    if result.duplicate:
        return "duplicate"
    if fetched.refused:
        async with w.agent.session_factory() as session, session.begin():
            conversation = await get_conversation(session, result.conversation_id)
            await _queue(session, w, conversation, refusal(fetched.refused), "media_refused")
    await live.publish(w.redis, result.conversation_id)
    return "answered"


def refusal(refused: tuple[Refused, ...]) -> str:
    """What to tell the sender about the files that were not kept."""
    return " ".join(f"I couldn't take the {item.content_type} file you sent: {item.reason}."
                    for item in refused)


async def _fetch(w: Wiring, message: InboundMessage, *, final_attempt: bool) -> Fetched:
    if not message.media:
        return Fetched()
    if w.media is None:
        return Fetched(refused=tuple(Refused(item.content_type, "files cannot be received yet")
                                     for item in message.media))
    try:
        return await w.media.fetch(message.media)
    except MediaUnavailable:
        if not final_attempt:
            raise
        log.warning("Giving up on the media of %s after %s attempts", message.sid, RETRIES + 1)
        return Fetched(refused=tuple(Refused(item.content_type, NOT_DOWNLOADED)
                                     for item in message.media))


async def _recorded(session: AsyncSession, channel: Channel, sid: str) -> bool:
    return await session.scalar(select(ConversationMessage.id).where(
        ConversationMessage.channel == channel,
        ConversationMessage.provider_message_id == sid)) is not None


@dataclass(frozen=True, slots=True)
class _Kept:
    conversation: Conversation
    message: ConversationMessage
    owner_id: int | None


async def _keep(session: AsyncSession, w: Wiring, message: InboundMessage,
                meta: Mapping[str, Any]) -> _Kept | None:
    """Put the message in its conversation's transcript without a turn; None if already there.
    The caller holds the conversation's lock."""
    channel, now = Channel(message.channel), w.agent.clock()
    owner = await find_customer_by_contact(
        session, channel=ContactChannel(channel.value), address=message.address)
    conversation = await open_conversation(session, channel=channel, address=message.address,
                                           now=now, customer_id=owner.id if owner else None)
    recorded = await record_inbound(session, conversation=conversation, body=message.body,
                                    now=now, provider_message_id=message.sid, meta=meta)
    return None if recorded is None else _Kept(conversation, recorded, owner.id if owner else None)


async def _queue(session: AsyncSession, w: Wiring, conversation: Conversation, body: str,
                 purpose: str) -> None:
    await enqueue_reply(session, conversation=conversation, body=body, now=w.agent.clock(),
                        author=Author.SYSTEM, purpose=purpose, intent=purpose)


async def _answer_alone(w: Wiring, message: InboundMessage, meta: Mapping[str, Any],
                        intent: str, reply: str) -> str:
    """Keep the message and answer it with `reply` instead of the agent."""
    async with w.agent.session_factory() as session, session.begin():
        await hold_conversation(session, channel=message.channel, address=message.address)
        kept = await _keep(session, w, message, meta)
        if kept is None:
            return "duplicate"
        kept.message.intent = intent
        await _queue(session, w, kept.conversation, reply, intent)
    await live.publish(w.redis, kept.conversation.id)
    return intent


async def _triage(w: Wiring, message: InboundMessage, verdict: Verdict) -> str | None:
    """Keep and answer the message here when the agent is not to see it (a keyword, an
    opted-out number, a sender over the rate limit); None when the agent should."""
    channel = Channel(message.channel)
    async with w.agent.session_factory() as session, session.begin():
        await hold_conversation(session, channel=channel.value, address=message.address)
        if await _recorded(session, channel, message.sid):
            return "duplicate"
        opted_out = await opt_outs.is_opted_out(session, channel=channel,
                                                address=message.address)
        command = keywords.detect(message.body)
        if command is not None and (
                (command.keyword is keywords.Keyword.START and not opted_out)
                or (command.keyword is keywords.Keyword.HELP and verdict is not Verdict.ANSWER)):
            command = None
        if command is None and not opted_out and verdict is Verdict.ANSWER:
            return None
        kept = await _keep(session, w, message, message.meta)
        if kept is None:
            return "duplicate"
        reply: str | None = None
        if command is not None:
            kept.message.intent = command.keyword.value
            reply = await keywords.apply_command(
                session, command=command, channel=channel, address=message.address,
                customer_id=kept.owner_id, opted_out=opted_out, lender=w.agent.lender_name,
                now=w.agent.clock())
        elif opted_out:
            kept.message.intent = "opted_out"
        else:
            kept.message.intent = "rate_limited"
            reply = RATE_NOTICE if verdict is Verdict.NOTICE else None
        if reply is not None:
            await _queue(session, w, kept.conversation, reply, kept.message.intent)
    if reply is not None:
        await live.publish(w.redis, kept.conversation.id)
    return kept.message.intent
