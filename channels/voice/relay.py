"""The ConversationRelay websocket: a call's words in, the agent's spoken replies out.

Twilio opens `/channels/voice/relay?caller=...&call=...`, the URL our incoming-call TwiML
gave it; the upgrade is signed over that URL, so the socket is bound to the call and the
number the signed webhook named (an unsigned socket is refused with 403 and audited). Each
final `prompt`, and each keyed entry (see `dtmf`), is one agent turn, run one at a time
while the socket keeps reading: an LLM answer is spoken sentence by sentence as it is
written, then the turn's remaining replies, claimed from the outbox. When the caller speaks
over a reply we stop sending it and note on the transcript what they heard. When the agent
hands over to a person we send `end` with the hand-over, and Twilio calls the
`<Connect action>` webhook. A bad frame is logged and ignored; a frame before `setup` closes
the socket. When the socket drops, the turn under way still commits, its unsaid replies are
noted unheard, and the call's conversation is closed (unless a person has it), so the next
call starts afresh and must verify again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.conversation import Agent, Inbound
from agent.lock import hold_conversation
from channels import live
from channels.twilio.signature import public_url, refuse, signature_valid
from channels.voice import relay_protocol as protocol
from channels.voice.calls import RELAY_PATH, caller_address, websocket_base
from channels.voice.dtmf import DigitEntry
from channels.voice.talk import Cycle, heard_parts
from core.conversations.escalations import open_escalation_for
from core.conversations.models import Channel, ConversationStatus
from core.conversations.outbox import take_pending
from core.conversations.store import get_conversation, note_interrupted, set_status
from core.errors import DomainError

log = logging.getLogger(__name__)

router = APIRouter()

SORRY = "Sorry, something went wrong on our side. Could you say that again?"
POLICY_VIOLATION = 1008


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str = ""
    dtmf: str | None = None


class RelayCall:
    """One call's socket: reads Twilio's messages, runs the turns, speaks the replies."""

    def __init__(
        self, websocket: WebSocket, *, agent: Agent,
        sessions: async_sessionmaker[AsyncSession], redis: Redis, caller: str, call_sid: str,
    ) -> None:
        self.websocket = websocket
        self.agent = agent
        self.sessions = sessions
        self.redis = redis
        self.call_sid = call_sid
        self.address = caller_address(caller, call_sid)
        self.turns: asyncio.Queue[Utterance | None] = asyncio.Queue()
        self.keys = DigitEntry(lambda digits: self.turns.put_nowait(Utterance(dtmf=digits)))
        self.sequence = 0
        self.conversation_id: int | None = None
        self.connected = True
        self.ended = False
        self.current: Cycle | None = None
        self.previous: Cycle | None = None
        self.speaking = asyncio.Lock()
        self.listener: asyncio.Task[None] | None = None

    async def run(self) -> None:
        worker = asyncio.create_task(self._work())
        try:
            await self._read()
        finally:
            self.connected = False
            self.keys.flush()
            self.turns.put_nowait(None)
            await worker
            await self._hang_up()

    async def _read(self) -> None:
        set_up = False
        while True:
            frame = await self.websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            try:
                if frame.get("text") is None:
                    raise protocol.BadFrame("a binary frame")
                message = protocol.parse(frame["text"])
            except protocol.BadFrame as error:
                log.warning("Ignored a frame on call %s: %s.", self.call_sid, error)
                continue
            if not set_up:
                if not isinstance(message, protocol.Setup) or message.call_sid != self.call_sid:
                    reason = ("setup for another call" if isinstance(message, protocol.Setup)
                              else "the first message must be the call's setup")
                    log.warning("Closed the relay socket of call %s: %s.", self.call_sid, reason)
                    await self.websocket.close(code=POLICY_VIOLATION, reason=reason)
                    return
                set_up = True
                continue
            await self._handle(message)

    async def _handle(self, message: protocol.Message) -> None:
        if isinstance(message, protocol.Interrupt):
            await self._interrupted(message.heard)
        elif isinstance(message, protocol.Error):
            log.warning("Twilio reported an error on call %s: %s", self.call_sid,
                        message.description)
        elif isinstance(message, protocol.Setup):
            log.warning("Ignored a second setup on call %s.", self.call_sid)
        elif self.ended:
            log.info("Ignored input on call %s after its hand-over.", self.call_sid)
        elif isinstance(message, protocol.Dtmf):
            self.keys.press(message.digit)
        elif message.last:  # an earlier, partial transcript is superseded by the last one
            self.keys.flush()
            self.turns.put_nowait(Utterance(text=message.text))

    async def _work(self) -> None:
        while (utterance := await self.turns.get()) is not None:
            async with self._cycle():
                try:
                    await self._turn(utterance)
                except Exception:  # one failed turn must not end the call's other turns
                    log.exception("A turn failed on call %s", self.call_sid)
                    await self._say_alone(SORRY)

    @contextlib.asynccontextmanager
    async def _cycle(self) -> AsyncIterator[Cycle]:
        """Speak one reply at a time; the last one spoken is what an interruption cuts."""
        async with self.speaking:
            cycle = self.current = Cycle()
            try:
                yield cycle
            finally:
                self.current = None
                if cycle.tokens:
                    self.previous = cycle

    async def _turn(self, utterance: Utterance) -> None:
        self.sequence += 1
        inbound = Inbound(channel=Channel.VOICE.value, address=self.address,
                          text=utterance.text, dtmf=utterance.dtmf,
                          provider_message_id=f"{self.call_sid}-{self.sequence}",
                          meta={"call_sid": self.call_sid})
        try:
            result = await self.agent.converse(inbound, stream=self._stream)
        except DomainError as error:  # nothing was recorded: say why, and listen again
            await self._say_alone(str(error))
            return
        self._started(result.conversation_id)
        await self._deliver(Counter(reply["text"] for reply in result.replies
                                    if reply.get("streamed")))
        if result.escalated:
            await self._hand_over()

    def _started(self, conversation_id: int) -> None:
        if self.conversation_id is None:
            self.conversation_id = conversation_id
            self.listener = asyncio.create_task(self._listen(conversation_id))

    async def _send(self, frame: str) -> bool:
        if not self.connected:
            return False
        try:
            await self.websocket.send_text(frame)
        except Exception:  # a closed socket: the turn must carry on and commit regardless
            self.connected = False
            return False
        return True

    async def _speak(self, cycle: Cycle, words: str) -> bool:
        if cycle.heard is not None or not words:
            return False
        token = cycle.token(words)
        if not await self._send(protocol.text(token, last=False)):
            cycle.cut = True
            return False
        cycle.tokens += 1
        cycle.said += token
        return True

    async def _stream(self, fragment: str) -> None:
        """The agent's sink: a checked, speakable sentence of an answer being written."""
        if self.current is not None:
            await self._speak(self.current, fragment)

    async def _say_alone(self, words: str) -> None:
        """Speak words that are in no transcript (the turn was not recorded)."""
        if self.current is not None and await self._speak(self.current, words):
            await self._send(protocol.text("", last=True))

    async def _deliver(self, streamed: Counter[str]) -> None:
        """Claim the conversation's voice replies and speak those not streamed already."""
        cycle = self.current
        assert cycle is not None and self.conversation_id is not None
        async with self.sessions() as session, session.begin():
            rows = await take_pending(session, conversation_id=self.conversation_id,
                                      channel=Channel.VOICE, now=utc_now())
            for row in rows:
                if streamed[row.body] > 0:
                    streamed[row.body] -= 1
                    cycle.spoken.append((row.message_id, row.body))
                elif await self._speak(cycle, row.body):
                    cycle.spoken.append((row.message_id, row.body))
                else:
                    cycle.unsaid.append(row.message_id)
            for message_id, heard in cycle.settle():
                await note_interrupted(session, message_id=message_id, heard=heard)
        if cycle.tokens and cycle.heard is None:
            await self._send(protocol.text("", last=True))

    async def _interrupted(self, heard: str) -> None:
        """The caller spoke over a reply: stop it, and note what they heard of it."""
        cycle = self.current if self.current is not None and self.current.tokens else (
            self.previous)
        if cycle is None or cycle.heard is not None or not cycle.tokens:
            return
        cycle.heard = heard
        if not cycle.noted:
            return  # the turn notes it when it claims its replies
        async with self.sessions() as session, session.begin():
            for message_id, part in heard_parts(cycle.spoken, heard):
                await note_interrupted(session, message_id=message_id, heard=part)

    async def _hand_over(self) -> None:
        """A person must take the call: end the session with what the staff queue needs."""
        assert self.conversation_id is not None
        async with self.sessions() as session:
            escalation = await open_escalation_for(session,
                                                   conversation_id=self.conversation_id)
        self.ended = True
        await self._send(protocol.end({
            "reasonCode": "live-agent-handoff",
            "reason": escalation.reason.value if escalation is not None else "requested",
            "conversationId": self.conversation_id, "callSid": self.call_sid,
        }))

    async def _listen(self, conversation_id: int) -> None:
        """Speak replies queued for this conversation by others (a staff member's)."""
        try:
            async with live.nudges(self.redis, conversation_id) as nudged:
                async for _ in nudged:
                    if self.ended or not self.connected:
                        continue
                    async with self._cycle():
                        await self._deliver(Counter())
        except Exception:  # without nudges the replies still go out after the next turn
            log.warning("Stopped listening for replies on call %s", self.call_sid,
                        exc_info=True)

    async def _hang_up(self) -> None:
        """The call is over: nothing stays pending, and the conversation closes unless a
        person has it."""
        # redis-py can swallow a cancellation that lands while it subscribes: cancel again
        # until the listener has stopped.
        while self.listener is not None and not self.listener.done():
            self.listener.cancel()
            await asyncio.wait([self.listener], timeout=0.1)
        if self.conversation_id is None:
            return
        async with self.sessions() as session, session.begin():
            now = utc_now()
            await hold_conversation(session, channel=Channel.VOICE.value, address=self.address)
            rows = await take_pending(session, conversation_id=self.conversation_id,
                                      channel=Channel.VOICE, now=now)
            for row in rows:
                await note_interrupted(session, message_id=row.message_id, heard="")
            conversation = await get_conversation(session, self.conversation_id)
            if conversation.status is ConversationStatus.ACTIVE:
                await set_status(session, conversation_id=self.conversation_id,
                                 status=ConversationStatus.CLOSED, now=now)


async def _signed_call(websocket: WebSocket) -> tuple[str, str] | None:
    """The (caller, call sid) the signed socket URL names; None after refusing the socket."""
    settings = websocket.app.state.settings
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    url = public_url(websocket, websocket_base(settings.base_url))
    signature = websocket.headers.get("X-Twilio-Signature", "")
    caller = websocket.query_params.get("caller", "")
    call_sid = websocket.query_params.get("call", "")
    if token and signature_valid(token, url, {}, signature):
        if call_sid:
            return caller, call_sid
        reason = "no call in the socket URL"
    else:
        reason = "missing signature" if not signature else "bad signature"
    # The call and caller go in the audit's detail; the entity is the socket's URL.
    await refuse(websocket.app.state.session_factory, url=url.partition("?")[0],
                 form={"From": caller, "CallSid": call_sid},
                 client=websocket.client.host if websocket.client else None, reason=reason)
    await websocket.close(code=POLICY_VIOLATION)
    return None


@router.websocket(RELAY_PATH)
async def relay(websocket: WebSocket) -> None:
    """ConversationRelay's socket for one call (see the module's docstring)."""
    signed = await _signed_call(websocket)
    if signed is None:
        return
    await websocket.accept()
    caller, call_sid = signed
    state = websocket.app.state
    call = RelayCall(websocket, agent=state.agent, sessions=state.session_factory,
                     redis=state.services.redis, caller=caller, call_sid=call_sid)
    await call.run()
