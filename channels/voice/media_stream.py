"""Phone calls over Twilio Media Streams: we hear, transcribe, answer and speak ourselves.

The incoming-call webhook answers `<Connect><Stream url=".../channels/voice/stream">` with the
caller's number and the call sid as `<Parameter>`s; Twilio opens this websocket (the upgrade
is signed like a webhook; an unsigned one gets 403 and is audited) and sends `connected`,
`start`, a `media` frame of μ-law 8 kHz every 20 ms, `dtmf` for each key, `mark` when audio
we sent has played, and `stop`.

A call is three tasks. The reader takes every frame: the voice activity detector finds the
end of each utterance, keys are gathered until `#` or a pause, and caller speech while we are
talking (barge-in) sends `clear` and drops whatever we had still to say. The turn worker
transcribes each utterance (ElevenLabs), runs the agent turn and claims its outbox rows. The
speaker streams ElevenLabs text-to-speech out as `media` frames as it is made, sentence by
sentence, with a `mark` after each: the marks Twilio echoes tell what the caller has heard,
and a reply cut short is noted on the transcript with the part heard. A caller who stays
quiet is asked once whether they are still there, then the call ends politely. An escalated
call ends its stream once the reply has played, so the `<Connect action>` webhook hands it to
staff. A bad frame is logged and ignored. A dropped socket stops the speaking, never a turn
in flight: it commits, and the call's conversation then closes (unless a person has it), so
the next call must verify again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect

from agent.conversation import Agent, Inbound
from agent.lock import hold_conversation
from channels import live
from channels.twilio.signature import public_url, refuse, signature_valid
from channels.voice.calls import STREAM_PATH, caller_address, websocket_base
from channels.voice.dtmf import PAUSE_SECONDS, DigitEntry
from channels.voice.speech import STREAMED, Line, Speaker, Speech, SpeechError, sentences
from channels.voice.vad import (
    Detector,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
    VadConfig,
    duration_ms,
)
from core.audit import trail
from core.conversations.models import Channel, ConversationStatus
from core.conversations.outbox import take_pending
from core.conversations.store import get_conversation, note_interrupted, set_status
from core.errors import DomainError

log = logging.getLogger(__name__)
router = APIRouter(tags=["voice"])

GREETING = ("Thank you for calling {lender}. You're speaking with our automated assistant. "
            "How can I help you today?")
STILL_THERE = "Are you still there?"
GOODBYE = "I haven't heard anything, so I'll end the call now. Please call back any time. Goodbye."
NOT_CAUGHT = "Sorry, I didn't catch that. Could you say it again?"
TROUBLE = "Sorry, something went wrong on our side. Could you say that again?"
KEYS = frozenset("0123456789*#")
LOGGED_BAD = 20  # bad messages logged one by one on a call; the rest only counted


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CallConfig:
    """How a call listens; `app.state.media_stream_config` replaces the defaults."""

    vad: VadConfig = field(default_factory=VadConfig)
    barge_in_ms: int = 200  # of caller speech over ours before we stop (a cough is shorter)
    reprompt_after_ms: int = 8_000  # of quiet after we stop speaking; twice ends the call
    dtmf_pause_seconds: float = PAUSE_SECONDS  # keys end with `#` or this long without one
    drain_timeout_seconds: float = 60.0  # longest wait for our audio to play before ending
    finish_turns_seconds: float = 60.0  # longest wait for turns in flight once the call ends


@dataclass(frozen=True, slots=True)
class Utterance:
    """What the caller said (μ-law audio, and its transcription if begun at a pause) or
    keyed, and when we knew they had finished."""

    audio: bytes = b""
    digits: str | None = None
    ended_at: float = 0.0
    transcript: asyncio.Task[str] | None = None


class Call:
    """One Media Stream, from `start` to `stop` or a dropped socket."""

    def __init__(self, websocket: WebSocket, *, agent: Agent, speech: Speech, redis: Redis,
                 config: CallConfig) -> None:
        self.websocket = websocket
        self.agent = agent
        self.sessions = agent.session_factory
        self.speech = speech
        self.redis = redis
        self.config = config
        self.detector = Detector(config.vad)
        self.started_at = utc_now()
        self.address = ""
        self.call_sid = ""
        self.conversation_id: int | None = None
        self.speaker: Speaker | None = None
        self.lines: list[Line] = []
        self.ending = False
        self._turns: asyncio.Queue[Utterance | None] = asyncio.Queue()
        self._delivering = asyncio.Lock()  # a turn's claim, or a nudge's, one at a time
        self._worker: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []  # besides the worker: nudges, notes, ending
        self._busy = False
        self._sequence = 0
        self.keys = DigitEntry(self._keyed, pause=config.dtmf_pause_seconds)
        self._quiet_ms = 0
        self._prompted = False
        self._early: tuple[bytes, asyncio.Task[str]] | None = None  # begun at a pause
        self._bad = 0

    async def run(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is None:
                    self._ignored("a binary frame")
                elif not await self._handle(message["text"]):
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            await self._hang_up()

    async def _handle(self, text: str) -> bool:
        """One message from Twilio; False when the stream is over."""
        try:
            message = json.loads(text)
            event = message.get("event") if isinstance(message, dict) else None
            if event == "start":
                self._start(message["start"])
            elif event in ("media", "dtmf", "mark") and self.speaker is None:
                raise ValueError(f"{event} before start")
            elif event == "media":
                await self._media(message["media"])
            elif event == "dtmf":
                await self._key(str(message["dtmf"]["digit"]))
            elif event == "mark":
                self._speaker.played(str(message["mark"]["name"]))
            elif event == "stop":
                return False
            elif event != "connected":
                raise ValueError(f"unknown event {event!r}")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError,
                binascii.Error) as error:
            self._ignored(f"{error} ({text:.80})")
        return True

    def _ignored(self, what: str) -> None:
        self._bad += 1
        if self._bad <= LOGGED_BAD:
            log.warning("Ignored a message on call %s: %s", self.call_sid or "?", what)
        if self._bad == LOGGED_BAD:
            log.warning("Call %s: further bad messages are only counted", self.call_sid or "?")

    @property
    def _speaker(self) -> Speaker:
        assert self.speaker is not None
        return self.speaker

    def _start(self, start: dict[str, Any]) -> None:
        if self.speaker is not None:
            raise ValueError("a second start")
        parameters = start.get("customParameters") or {}
        stream_sid = str(start["streamSid"])
        self.call_sid = str(parameters.get("CallSid") or parameters.get("callSid")
                            or start["callSid"])
        caller = str(parameters.get("From") or parameters.get("from") or "")
        self.address = caller_address(caller, self.call_sid)
        self.speaker = Speaker(self.websocket, self.speech, stream_sid)
        self._say(GREETING.format(lender=self.agent.lender_name))
        self._worker = asyncio.create_task(self._work())
        log.info("Call %s from %s is streaming", self.call_sid, self.address)

    async def _media(self, media: dict[str, Any]) -> None:
        if media.get("track", "inbound") != "inbound":
            return
        frame = base64.b64decode(media["payload"], validate=True)
        if not frame:
            return
        ms = duration_ms(frame)
        event = self.detector.feed(frame)
        speaking = self._speaker.speaking
        if (speaking and self.detector.voiced and self.detector.in_speech
                and self.detector.speech_ms >= self.config.barge_in_ms):
            await self._interrupt()
        if self.detector.voiced:
            self._forget_early()
        if isinstance(event, SpeechStarted):
            self._prompted = False
            self.keys.flush()
        elif isinstance(event, SpeechPaused):
            self._early = (event.audio, asyncio.create_task(self.speech.transcribe(event.audio)))
        elif isinstance(event, SpeechEnded):
            early = self._early[1] if self._early and self._early[0] == event.audio else None
            if early is None:
                self._forget_early()
            self._early = None
            self._queue(Utterance(audio=event.audio, ended_at=time.monotonic(),
                                  transcript=early))
        idle = not (speaking or self._busy or self.detector.in_speech or self.keys.digits
                    or not self._turns.empty() or self.ending)
        self._quiet_ms = self._quiet_ms + ms if idle else 0
        if self._quiet_ms >= self.config.reprompt_after_ms:
            self._quiet_ms = 0
            if self._prompted:
                self._finish(GOODBYE, reason="silence")
            else:
                self._prompted = True
                self._say(STILL_THERE)

    async def _key(self, digit: str) -> None:
        if digit not in KEYS:
            raise ValueError(f"no key {digit!r}")
        if self._speaker.speaking:
            await self._interrupt()
        self._prompted = False
        self.keys.press(digit)

    def _forget_early(self) -> None:
        """The caller spoke again after a pause: the transcription begun there is wasted."""
        if self._early is not None:
            task = self._early[1]
            task.cancel()
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._early = None

    def _keyed(self, digits: str) -> None:
        self._queue(Utterance(digits=digits, ended_at=time.monotonic()))

    def _queue(self, utterance: Utterance) -> None:
        if not self.ending:
            self._turns.put_nowait(utterance)

    async def _interrupt(self) -> None:
        """Barge-in: stop talking and note on the transcript what was cut short."""
        if self.ending:
            return
        await self._speaker.interrupt()
        log.info("Barge-in on call %s", self.call_sid)
        if any(line.cut and line.message_id is not None and not line.noted
               for line in self.lines):
            self._tasks.append(asyncio.create_task(self._note_cut()))

    async def _note_cut(self) -> None:
        async with self.sessions() as session, session.begin():
            await self._note(session, [line for line in self.lines if line.cut])

    async def _note(self, session: AsyncSession, lines: Iterable[Line]) -> None:
        """Note each reply with a line in `lines` as heard only in part (its lines heard)."""
        replies = {line.message_id for line in lines
                   if line.message_id is not None and not line.noted}
        for message_id in sorted(replies):
            own = [line for line in self.lines if line.message_id == message_id]
            heard = " ".join(line.text for line in own if line.heard)
            await note_interrupted(session, message_id=message_id, heard=heard)
            for line in own:
                line.noted = True

    def _say(self, text: str, *, message_id: int | None = None, turn: int = 0,
             reply: int = STREAMED, epoch: int | None = None) -> None:
        for sentence in sentences(text):
            line = Line(sentence, message_id=message_id, turn=turn, reply=reply)
            self.lines.append(line)
            self._speaker.say(line, epoch)

    async def _work(self) -> None:
        while (utterance := await self._turns.get()) is not None:
            self._busy = True
            try:
                await self._turn(utterance)
            except DomainError as error:  # nothing was recorded: say why, and listen again
                self._say(error.message)
            except Exception:
                log.exception("A turn failed on call %s", self.call_sid)
                self._say(TROUBLE)
            finally:
                self._busy = False

    async def _turn(self, utterance: Utterance) -> None:
        text = ""
        if utterance.audio:
            try:
                text = await (utterance.transcript or self.speech.transcribe(utterance.audio))
            except SpeechError as error:
                log.warning("Call %s: %s", self.call_sid, error)
                self._say(NOT_CAUGHT)
                return
            if not text:
                return
        marks = {"transcript": time.monotonic()}
        self._sequence += 1
        turn, epoch = self._sequence, self._speaker.epoch

        def first_audio() -> None:
            since = {name: (at - utterance.ended_at) * 1000 for name, at in marks.items()}
            log.info("Call %s turn %d: first audio %.0f ms after the end of speech (transcript "
                     "%.0f, agent %.0f, claimed %.0f)", self.call_sid, turn,
                     (time.monotonic() - utterance.ended_at) * 1000, since["transcript"],
                     since.get("agent", -1), since.get("claimed", -1))

        async def sink(fragment: str) -> None:
            self._say(fragment, turn=turn, epoch=epoch)

        self._speaker.on_first_audio = first_audio
        inbound = Inbound(channel=Channel.VOICE.value, address=self.address, text=text,
                          dtmf=utterance.digits, meta={"call_sid": self.call_sid},
                          provider_message_id=f"{self.call_sid}-{turn}")
        async with self._delivering:
            # Shielded: a caller hanging up mid-turn must not undo what the turn did.
            result = await asyncio.shield(self.agent.converse(inbound, stream=sink))
            marks["agent"] = time.monotonic()
            self._joined(result.conversation_id)
            # The turn has committed its replies: say them now, and claim their rows after.
            said: dict[int, tuple[str, bool]] = {}
            for index, reply in enumerate(result.replies):
                if "contact_point_id" not in reply:  # that one goes elsewhere (a code by SMS)
                    streamed = bool(reply.get("streamed"))
                    said[index] = (reply["text"], streamed)
                    if not streamed:
                        self._say(reply["text"], turn=turn, reply=index, epoch=epoch)
            await self._deliver(said, turn=turn, epoch=epoch)
            marks["claimed"] = time.monotonic()
        if result.escalated:
            self._finish()

    def _joined(self, conversation_id: int) -> None:
        if self.conversation_id is None:
            self.conversation_id = conversation_id
            if not self._speaker.closed:
                self._tasks.append(asyncio.create_task(self._listen(conversation_id)))

    async def _deliver(self, said: dict[int, tuple[str, bool]], *, turn: int = 0,
                       epoch: int | None = None) -> None:
        """Claim the conversation's voice replies: tie those the turn has said (`said`: each
        one's text and whether it was streamed, by its place among the turn's replies) to
        their transcript messages, and say the others."""
        if self._speaker.closed or self.conversation_id is None:
            return  # left pending: the hang-up notes them unheard
        async with self.sessions() as session, session.begin():
            rows = await take_pending(session, conversation_id=self.conversation_id,
                                      channel=Channel.VOICE, now=utc_now())
            for row in rows:
                index = next((i for i, (text, _) in said.items() if text == row.body), None)
                if index is not None:
                    place = STREAMED if said.pop(index)[1] else index
                    for line in self.lines:
                        if line.turn == turn and line.reply == place and not line.message_id:
                            line.message_id = row.message_id
                elif row.next_attempt_at < self.started_at:
                    log.info("Call %s: not saying reply %d, left from an earlier call",
                             self.call_sid, row.id)
                else:
                    self._say(row.body, message_id=row.message_id, epoch=epoch)
            await self._note(session, [line for line in self.lines if line.cut])

    async def _listen(self, conversation_id: int) -> None:
        """Say replies others queue for this conversation (a staff member's) as they come."""
        try:
            async with live.nudges(self.redis, conversation_id) as nudged:
                async for _ in nudged:
                    if not self.ending:
                        async with self._delivering:
                            await self._deliver({})
        except Exception:  # without nudges such replies still go out after the next turn
            log.warning("Stopped listening for replies on call %s", self.call_sid,
                        exc_info=True)

    def _finish(self, text: str | None = None, *, reason: str | None = None) -> None:
        """Say `text` (if any), let everything play, then end the stream. With a `reason`
        the call ends by our choice (audited), not for a hand-over."""
        if self.ending:
            return
        if text is not None:
            self._say(text)
        self.ending = True
        self._tasks.append(asyncio.create_task(self._close_after_playing(reason)))

    async def _close_after_playing(self, reason: str | None) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.drain_timeout_seconds):
                await self._speaker.drained()
        try:
            if reason is not None:
                async with self.sessions() as session, session.begin():
                    await trail.record(
                        session, actor="voice-stream", action="call.ended_by_agent",
                        entity_type="call", entity_id=self.call_sid,
                        after={"reason": reason, "address": self.address},
                        channel=Channel.VOICE.value)
        finally:
            log.info("Ending the stream of call %s", self.call_sid)
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.websocket.close(code=1000)

    async def _hang_up(self) -> None:
        """The stream is over: stop speaking, let every turn already heard commit, note what
        was never heard, and close the conversation unless a person has it."""
        if self.speaker is None or self._worker is None:
            return
        await self.speaker.close()
        self._forget_early()
        self.keys.flush()
        self._turns.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._worker),
                                   self.config.finish_turns_seconds)
        except TimeoutError:
            log.error("Call %s: a turn was still running %.0f s after the call ended",
                      self.call_sid, self.config.finish_turns_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.conversation_id is not None:
            await self._close_conversation(self.conversation_id)
        log.info("Call %s ended after %d turns (%d bad messages ignored)", self.call_sid,
                 self._sequence, self._bad)

    async def _close_conversation(self, conversation_id: int) -> None:
        async with self.sessions() as session, session.begin():
            now = utc_now()
            await hold_conversation(session, channel=Channel.VOICE.value, address=self.address)
            rows = await take_pending(session, conversation_id=conversation_id,
                                      channel=Channel.VOICE, now=now)
            for row in rows:
                await note_interrupted(session, message_id=row.message_id, heard="")
            await self._note(session, [line for line in self.lines if not line.heard])
            conversation = await get_conversation(session, conversation_id)
            await session.refresh(conversation)
            if conversation.status is ConversationStatus.ACTIVE:
                await set_status(session, conversation_id=conversation_id,
                                 status=ConversationStatus.CLOSED, now=now)


async def signed(websocket: WebSocket) -> bool:
    """Whether Twilio signed this upgrade request; a refusal is audited like a webhook's."""
    app = websocket.app
    settings = app.state.settings
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    url = public_url(websocket, websocket_base(settings.base_url))
    signature = websocket.headers.get("X-Twilio-Signature", "")
    if token and signature_valid(token, url, {}, signature):
        return True
    await refuse(app.state.session_factory, url=url, form={},
                 client=websocket.client.host if websocket.client else None,
                 reason="missing signature" if not signature else "bad signature")
    return False


def speech_for(app: FastAPI) -> Speech | None:
    """The process's ElevenLabs client, made for the first call; None without an API key."""
    speech: Speech | None = getattr(app.state, "elevenlabs_speech", None)
    settings = app.state.settings
    if speech is None and settings.elevenlabs_api_key is not None:
        speech = Speech(api_key=settings.elevenlabs_api_key.get_secret_value(),
                        base_url=settings.elevenlabs_base_url,
                        voice_id=settings.elevenlabs_voice_id,
                        tts_model=settings.elevenlabs_tts_model,
                        stt_model=settings.elevenlabs_stt_model)
        app.state.elevenlabs_speech = speech
    return speech


@router.websocket(STREAM_PATH)
async def media_stream(websocket: WebSocket) -> None:
    """A call's bidirectional Media Stream (see the module's docstring)."""
    if not await signed(websocket):
        await websocket.close(code=1008)
        return
    speech = speech_for(websocket.app)
    if speech is None:
        log.error("A Media Streams call came in but ELEVENLABS_API_KEY is not set; ending it.")
        await websocket.close(code=1011)
        return
    await websocket.accept()
    state = websocket.app.state
    config = getattr(state, "media_stream_config", None) or CallConfig()
    await Call(websocket, agent=state.agent, speech=speech, redis=state.services.redis,
               config=config).run()
