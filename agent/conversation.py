"""The channel-agnostic entry point: one inbound message in, the agent's replies out.

`Agent.converse` is what every channel calls. One turn is one database transaction: the
inbound message (deduplicated by the provider's id), the graph's checkpoint, every tool's
effects and the outbox rows of the replies commit together, under the conversation's lock.
`Agent.resume` is what the console calls when a person hands a conversation back.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from langgraph.types import Command
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import checkpoint
from agent.capabilities import capabilities_for
from agent.checkpoint import TurnCheckpointer
from agent.context import AnswerWriter, KnowledgeBase, TurnContext, Understander
from agent.graph import build_graph
from agent.lock import hold_conversation
from agent.nodes.documents import acknowledgement
from agent.state import Reply
from agent.streaming import TokenSink
from core.conversations import escalations
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
)
from core.conversations.outbox import Outgoing, enqueue_replies, enqueue_reply
from core.conversations.store import (
    find_open_conversation,
    get_conversation,
    open_conversation,
    record_inbound,
    set_status,
)
from core.crypto import FieldCipher
from core.customers.contacts import find_customer_by_contact
from core.customers.models import ContactChannel, ContactPoint, Customer
from core.errors import ValidationError
from core.payments.provider import PaymentProvider
from core.privacy.masking import redact_verification_answers
from core.telemetry import context as log_context
from core.telemetry import metrics
from tools.context import Attachment, ToolContext
from tools.documents import attach_files

__all__ = ["Agent", "Attachment", "Inbound", "TurnResult"]

MAX_MESSAGE = 16_000
UNDERSTOOD_PREFIX = 2_000
CHANNELS = frozenset(channel.value for channel in Channel)
RESUME_ACTIONS = frozenset({"hand_back", "close"})
PRUNE_EVERY = 5  # turns between prunes: a thread keeps 3 to 7 checkpoints
HOLDING = "A member of our team has your conversation and will reply here shortly."
HELD_NOT_VERIFIED = ("I can add documents to an application only once you've confirmed who "
                     "you are; the member of our team with your conversation will help.")
CONTACT_CHANNEL = {"whatsapp": ContactChannel.WHATSAPP, "sms": ContactChannel.SMS,
                   "voice": ContactChannel.VOICE, "terminal": ContactChannel.SMS}


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a borrower, whatever the channel."""

    channel: str
    address: str
    text: str = ""
    provider_message_id: str | None = None
    dtmf: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()  # files sent with the message


@dataclass(frozen=True, slots=True)
class TurnResult:
    conversation_id: int
    replies: list[Reply]
    duplicate: bool = False
    escalated: bool = False
    intent: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [reply["text"] for reply in self.replies]


async def _outgoing(session: AsyncSession, reply: Reply) -> Outgoing:
    """A reply as the outbox takes it: a code is never shown in the transcript, and one for
    a registered phone (web chat verification) goes to that phone by SMS."""
    secret = reply["purpose"] == "one_time_code"
    outgoing = Outgoing(reply["text"], reply["purpose"],
                        "[one-time code sent]" if secret else None)
    if "contact_point_id" in reply:
        point = await session.get_one(ContactPoint, reply["contact_point_id"])
        outgoing = replace(outgoing, channel=Channel(point.channel.value), address=point.address,
                           transcript_body=f"[one-time code sent by {point.channel.value}]")
    return outgoing


def _transcript_body(inbound: Inbound) -> str:
    files = " ".join(f"[file: {file.filename}]" for file in inbound.attachments)
    return " ".join(part for part in (inbound.text or inbound.dtmf or "", files) if part)


def _meta(inbound: Inbound) -> Mapping[str, Any]:
    if not inbound.attachments:
        return inbound.meta
    files = [{"filename": file.filename, "content_type": file.content_type,
              "size_bytes": len(file.content)} for file in inbound.attachments]
    return {**inbound.meta, "attachments": files}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Agent:
    """The conversation engine, built once per process and shared by every channel."""

    def __init__(
        self, *, session_factory: async_sessionmaker[AsyncSession], understander: Understander,
        cipher: FieldCipher, otp_key: bytes, knowledge: KnowledgeBase | None = None,
        writer: AnswerWriter | None = None, payments: PaymentProvider | None = None,
        payment_return_url: str = "/pay/{reference}", lender_name: str = "Lendline",
        timezone: str = "America/Port_of_Spain", clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.session_factory = session_factory
        self.understander = understander
        self.cipher = cipher
        self.otp_key = otp_key
        self.knowledge = knowledge
        self.writer = writer
        self.payments = payments
        self.payment_return_url = payment_return_url
        self.lender_name = lender_name
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.graph = build_graph(TurnCheckpointer())

    def _context(
        self, session: AsyncSession, now: dt.datetime, *, stream: TokenSink | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> TurnContext:
        return TurnContext(
            session=session, now=now, today=now.astimezone(self.zone).date(), cipher=self.cipher,
            otp_key=self.otp_key, understander=self.understander, knowledge=self.knowledge,
            writer=self.writer, payments=self.payments,
            payment_return_url=self.payment_return_url, lender_name=self.lender_name,
            stream=stream, attachments=attachments,
        )

    async def converse(self, inbound: Inbound, *, stream: TokenSink | None = None) -> TurnResult:
        """Take one borrower message through the graph; returns the replies queued for them.

        With `stream`, an LLM-written answer also goes to it sentence by sentence as it is
        written (checked and shaped for the channel); such a reply is marked `streamed`.
        Every turn is timed by channel and outcome (`lendline_turn_duration_seconds`).
        """
        started, outcome = time.perf_counter(), "error"
        try:
            result = await self._converse(inbound, stream=stream)
            outcome = "duplicate" if result.duplicate else "escalated" if result.escalated \
                else "answered"
            return result
        except ValidationError:
            outcome = "rejected"
            raise
        finally:
            channel = inbound.channel if inbound.channel in CHANNELS else "unknown"
            metrics.observe_turn(channel, outcome, time.perf_counter() - started)

    async def _converse(self, inbound: Inbound, *, stream: TokenSink | None) -> TurnResult:
        if len(inbound.text) > MAX_MESSAGE:
            raise ValidationError(f"A message can be at most {MAX_MESSAGE:,} characters.")
        if inbound.channel not in CHANNELS:
            raise ValidationError(f"'{inbound.channel}' is not a channel; use one of "
                                  f"{', '.join(sorted(CHANNELS))}.")
        channel = Channel(inbound.channel)
        async with self.session_factory() as session, session.begin():
            now = self.clock()
            await hold_conversation(session, channel=channel.value, address=inbound.address)
            conversation = await find_open_conversation(session, channel=channel,
                                                        address=inbound.address)
            owner = None
            if conversation is None or conversation.customer_id is None:
                owner = await self._owner(session, channel, inbound.address)
            if conversation is None:
                conversation = await open_conversation(
                    session, channel=channel, address=inbound.address, now=now,
                    customer_id=owner.id if owner else None,
                )
            elif owner is not None:
                conversation.customer_id = owner.id
            log_context.bind(conversation_id=conversation.id, channel=channel.value)
            message = await record_inbound(
                session, conversation=conversation, body=_transcript_body(inbound), now=now,
                provider_message_id=inbound.provider_message_id, meta=_meta(inbound),
            )
            if message is None:
                return TurnResult(conversation.id, [], duplicate=True)
            if conversation.status is ConversationStatus.ESCALATED:
                return await self._hold(session, conversation, now, inbound)
            values: dict[str, Any] = {
                "conversation_id": conversation.id, "channel": channel.value,
                "capabilities": capabilities_for(channel.value),
                "inbound": inbound.text[:UNDERSTOOD_PREFIX], "dtmf": inbound.dtmf,
                "attachments": [file.filename for file in inbound.attachments],
            }
            if conversation.customer_id is not None:
                values["claimed_customer_id"] = conversation.customer_id
            if owner is not None:
                values["customer_name"] = owner.first_name
            result = await self._run(session, conversation, values, now, stream=stream,
                                     attachments=inbound.attachments)
            message.intent = result.intent
            redacted = redact_verification_answers(message.body, result.tool_calls)
            if redacted != message.body:
                message.body = redacted
            return result

    @staticmethod
    async def _owner(session: AsyncSession, channel: Channel, address: str) -> Customer | None:
        """The customer the address belongs to: a proposal, until they verify."""
        if channel not in CONTACT_CHANNEL:
            return None
        return await find_customer_by_contact(session, channel=CONTACT_CHANNEL[channel],
                                              address=address)

    async def resume(
        self, conversation_id: int, *, actor: str, action: str = "hand_back",
        message: str | None = None,
    ) -> TurnResult:
        """A person has finished: resolve the escalation and let the graph carry on.

        `action` is "hand_back" (the agent takes the conversation again and says so, or says
        `message`) or "close" (the conversation ends).
        """
        if action not in RESUME_ACTIONS:
            raise ValidationError(f"'{action}' is not a way to end a hand-over; use "
                                  "hand_back or close.")
        async with self.session_factory() as session, session.begin():
            now = self.clock()
            conversation = await get_conversation(session, conversation_id)
            log_context.bind(conversation_id=conversation.id,
                             channel=conversation.channel.value)
            await hold_conversation(session, channel=conversation.channel.value,
                                    address=conversation.address)
            await session.refresh(conversation)
            await escalations.resolve_escalation(
                session, conversation_id=conversation_id, actor=actor,
                resolution=action if message is None else f"{action}: {message}", now=now,
            )
            command: Command[Any] = Command(
                resume={"action": action, "message": message, "actor": actor})
            result = await self._run(session, conversation, command, now)
            if action == "close":
                await set_status(session, conversation_id=conversation_id,
                                 status=ConversationStatus.CLOSED, now=now)
            return result

    async def _run(
        self, session: AsyncSession, conversation: Conversation, values: Any,
        now: dt.datetime, *, stream: TokenSink | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> TurnResult:
        thread = str(conversation.id)
        config: Any = {"configurable": {"thread_id": thread}}
        with checkpoint.bound_to(await checkpoint.driver_connection(session)):
            if isinstance(values, Command):
                snapshot = await self.graph.aget_state(config)
                if not snapshot.interrupts:
                    return TurnResult(conversation.id, [])
            state = await self.graph.ainvoke(
                values, config, durability="exit",
                context=self._context(session, now, stream=stream, attachments=attachments),
            )
            if state.get("turns", 0) % PRUNE_EVERY == 0:
                await checkpoint.prune(session, thread_id=thread)
        replies: list[Reply] = state.get("replies", [])
        understanding = state.get("understanding") or {}
        intent = understanding.get("intent") if not isinstance(values, Command) else None
        await enqueue_replies(session, conversation=conversation, now=now, intent=intent,
                              replies=[await _outgoing(session, reply) for reply in replies])
        verified = state.get("customer_id")
        if verified is not None and conversation.customer_id != verified:
            conversation.customer_id = verified
        escalation = state.get("escalation")
        return TurnResult(
            conversation.id, replies, intent=intent, tool_calls=state.get("tool_calls", []),
            escalated=escalation is not None and escalation["status"] == "waiting",
        )

    async def _hold(
        self, session: AsyncSession, conversation: Conversation, now: dt.datetime,
        inbound: Inbound,
    ) -> TurnResult:
        """While a person has the conversation the agent stays quiet, but says so once, and
        still files the documents the borrower sends (often what the person asked for)."""
        said = [Outgoing(text) for text in await self._file_while_held(
            session, conversation, now, inbound)]
        open_one = await escalations.open_escalation_for(session, conversation_id=conversation.id)
        held = await session.scalar(
            select(ConversationMessage.id).where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.direction == Direction.OUTBOUND,
                ConversationMessage.intent == "holding",
                ConversationMessage.created_at >= (open_one.waiting_since if open_one else now),
            ).limit(1)
        )
        if said:
            await enqueue_replies(session, conversation=conversation, replies=said, now=now,
                                  intent="documents")
        if held is None:
            await enqueue_reply(session, conversation=conversation, body=HOLDING, now=now,
                                intent="holding")
            said.append(Outgoing(HOLDING))
        return TurnResult(conversation.id, [{"text": reply.body, "purpose": "reply"}
                                            for reply in said], escalated=True)

    async def _file_while_held(
        self, session: AsyncSession, conversation: Conversation, now: dt.datetime,
        inbound: Inbound,
    ) -> list[str]:
        if not inbound.attachments:
            return []
        config: Any = {"configurable": {"thread_id": str(conversation.id)}}
        with checkpoint.bound_to(await checkpoint.driver_connection(session)):
            snapshot = await self.graph.aget_state(config)
        verified = snapshot.values.get("customer_id")
        if verified is None:
            return [HELD_NOT_VERIFIED]
        context = ToolContext(
            session=session, conversation_id=conversation.id, channel=conversation.channel.value,
            now=now, today=now.astimezone(self.zone).date(), cipher=self.cipher,
            otp_key=self.otp_key, customer_id=verified, attachments=inbound.attachments)
        return acknowledgement(await attach_files(context, inbound.text))
