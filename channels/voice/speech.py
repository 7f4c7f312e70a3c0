"""Speech on a Media Streams call: ElevenLabs hears the caller and speaks our replies.

`Speech` turns a caller's utterance into text and text into μ-law 8 kHz audio that streams
out while it is still being synthesised. One `Speech` serves every call of a process: its
HTTP connections stay open between turns, so a turn does not pay a new TLS handshake;
`base_url` points it elsewhere than ElevenLabs (the tests' local fake speaks the same wire
format). A call's `Speaker` says `Line`s (sentences) one after another as Twilio `media`
frames, each followed by a `mark`; Twilio echoes a mark once the audio before it has played,
which is how we know what the caller heard, and `clear` empties what it has not played yet.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from elevenlabs import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.parse_error import ParsingError
from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from channels.voice.mulaw import FRAME_BYTES, SILENCE, pcm16_16k

log = logging.getLogger(__name__)

TWILIO_FORMAT = "ulaw_8000"  # exactly what a Media Stream plays, so no transcoding on our side
STREAMED = -1  # the reply a turn's answer is streamed into, sentence by sentence
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


class SpeechError(Exception):
    """ElevenLabs could not transcribe or speak: the call carries on without that turn."""


class Speech:
    """ElevenLabs speech-to-text and streaming text-to-speech, with one voice and two models."""

    def __init__(
        self, *, api_key: str, voice_id: str, tts_model: str, stt_model: str,
        base_url: str | None = None, timeout_seconds: float = 15.0,
    ) -> None:
        self.voice_id = voice_id
        self.tts_model = tts_model
        self.stt_model = stt_model
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=5.0),
            limits=httpx.Limits(keepalive_expiry=60.0),
        )
        self.client = AsyncElevenLabs(api_key=api_key, base_url=base_url,
                                      httpx_client=self._http)

    async def transcribe(self, audio: bytes) -> str:
        """What the caller said in `audio` (μ-law 8 kHz), or "" when nothing was said.

        Sent as 16-bit PCM at 16 kHz, the input ElevenLabs decodes with the least delay.
        """
        try:
            result = await self.client.speech_to_text.convert(
                model_id=self.stt_model, file=("utterance.pcm", pcm16_16k(audio)),
                file_format="pcm_s16le_16", tag_audio_events=False,
            )
        except (ApiError, ParsingError, httpx.HTTPError) as error:
            raise SpeechError(f"Speech-to-text failed: {error}") from error
        text = getattr(result, "text", "")
        return text.strip() if isinstance(text, str) else ""

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """`text` spoken, as μ-law 8 kHz chunks in the order ElevenLabs produces them."""
        try:
            async for chunk in self.client.text_to_speech.stream(
                self.voice_id, text=text, model_id=self.tts_model, output_format=TWILIO_FORMAT,
                # The client buffers 1,024 bytes (128 ms of audio) by default: hand on each
                # frame's worth as soon as it is in.
                request_options={"chunk_size": FRAME_BYTES},
            ):
                yield chunk
        except (ApiError, ParsingError, httpx.HTTPError) as error:
            raise SpeechError(f"Text-to-speech failed: {error}") from error


@dataclass(eq=False, slots=True)
class Line:
    """One sentence we say; `message_id` is its reply's transcript message, when it has one."""

    text: str
    message_id: int | None = None
    turn: int = 0  # the call's turn that said it (0: not a reply of a turn)
    reply: int = STREAMED  # its place among the turn's replies
    heard: bool = False  # its mark came back: played in full
    cut: bool = False  # interrupted, or never played
    noted: bool = False


class Speaker:
    """Says lines one after another as streamed audio, and knows which have been heard."""

    def __init__(self, websocket: WebSocket, speech: Speech, stream_sid: str) -> None:
        self.websocket = websocket
        self.speech = speech
        self.stream_sid = stream_sid
        self.epoch = 0  # bumped by every interruption: lines queued before it are dropped
        self.closed = False
        self.on_first_audio: Callable[[], None] | None = None
        self._queue: asyncio.Queue[tuple[int, Line]] = asyncio.Queue()
        self._marks: dict[str, Line] = {}  # sent, not yet played
        self._current: tuple[Line, asyncio.Task[None]] | None = None
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.create_task(self._run())

    @property
    def speaking(self) -> bool:
        """Audio is being made or sent, or Twilio still has some to play."""
        return not self._idle.is_set()

    def say(self, line: Line, epoch: int | None = None) -> None:
        """Queue `line`; dropped if an interruption came after `epoch`."""
        if self.closed or not line.text.strip() or epoch not in (None, self.epoch):
            line.cut = True
            return
        self._idle.clear()
        self._queue.put_nowait((self.epoch, line))

    def played(self, name: str) -> None:
        """Twilio's echo of a mark: everything sent before it has been played."""
        line = self._marks.pop(name, None)
        if line is not None:
            line.heard = True
        self._settle()

    async def interrupt(self) -> None:
        """Stop now: cancel synthesis, drop queued lines, empty Twilio's buffer."""
        self.epoch += 1
        cut = list(self._marks.values())
        if self._current is not None:
            cut.append(self._current[0])
            self._current[1].cancel()
            await asyncio.wait({self._current[1]})
        while not self._queue.empty():
            cut.append(self._queue.get_nowait()[1])
        for line in cut:
            line.cut = True
        self._marks.clear()
        await self._send({"event": "clear", "streamSid": self.stream_sid})
        self._settle()

    async def drained(self) -> None:
        """Wait until everything said has played."""
        await self._idle.wait()

    async def close(self) -> None:
        self.closed = True
        tasks = [self._task] + ([self._current[1]] if self._current else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            epoch, line = await self._queue.get()
            if epoch == self.epoch and not self.closed:
                task = asyncio.create_task(self._speak(line))
                self._current = (line, task)
                await asyncio.wait({task})
                self._current = None
            self._settle()

    async def _speak(self, line: Line) -> None:
        pending = b""
        sent = False
        try:
            async for chunk in self.speech.synthesize(line.text):
                pending += chunk
                while len(pending) >= FRAME_BYTES:
                    await self._media(pending[:FRAME_BYTES])
                    pending, sent = pending[FRAME_BYTES:], True
        except SpeechError as error:
            log.warning("Could not say %r on stream %s: %s", line.text[:60], self.stream_sid,
                        error)
            if not sent and not pending:
                line.cut = True
                return
        if pending:
            await self._media(pending.ljust(FRAME_BYTES, bytes([SILENCE])))
        self._count += 1
        name = f"line-{self._count}"
        self._marks[name] = line
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def _media(self, audio: bytes) -> None:
        if self.on_first_audio is not None:
            callback, self.on_first_audio = self.on_first_audio, None
            callback()
        await self._send({"event": "media", "streamSid": self.stream_sid,
                          "media": {"payload": base64.b64encode(audio).decode()}})

    async def _send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            await self.websocket.send_text(json.dumps(message))
        except (WebSocketDisconnect, RuntimeError):  # gone: the turns carry on regardless
            self.closed = True

    def _settle(self) -> None:
        if self._current is None and self._queue.empty() and not self._marks:
            self._idle.set()


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCES.split(text.strip()) if part]
