"""Twilio's side of a bidirectional Media Stream, over a real websocket, message for message.

`TwilioStream` sends `connected` and `start` (with the TwiML's `<Parameter>`s), then a
`media` frame every `pace` seconds (20 ms of audio, real time by default) for as long as the
test keeps the line open, `dtmf` for keys, and `stop`. It also plays what we send back the
way Twilio does: each inbound frame it sends is 20 ms of time in which 160 bytes of our
queued audio play; a `mark` is echoed once the audio queued before it has played; `clear`
drops the queued audio and echoes the marks still pending at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.channels.conftest import TWILIO_SID
from tests.channels.voice_stream.audio import FRAME, frames, silence

REAL_TIME = 0.02


class TwilioStream:
    def __init__(self, socket: ClientConnection, *, call_sid: str, pace: float = REAL_TIME) -> None:
        self.socket = socket
        self.call_sid = call_sid
        self.stream_sid = "MZ" + call_sid[2:]
        self.pace = pace
        self.received: list[tuple[float, int, dict[str, Any]]] = []  # (time, frames, message)
        self.audio = bytearray()  # every byte of our media, in order
        self.echoed: list[str] = []  # marks echoed because their audio played
        self.echoed_at: dict[str, int] = {}  # ...and how many frames we had sent by then
        self.cleared_marks: list[str] = []  # marks echoed because a clear dropped them
        self.sent_at: list[float] = []  # when each media frame went out
        self.close_code: int | None = None
        self.server_closed = asyncio.Event()
        self._queue: deque[list[Any]] = deque()  # ["audio", bytes left] or ["mark", name]
        self._sequence = 0
        self._chunk = 0
        self._next_frame_at = 0.0
        self._reader = asyncio.create_task(self._read())

    async def _send(self, message: dict[str, Any]) -> None:
        self._sequence += 1
        await self.socket.send(json.dumps({"sequenceNumber": str(self._sequence), **message}))

    async def start(self, parameters: dict[str, str]) -> None:
        await self.socket.send(json.dumps({"event": "connected", "protocol": "Call",
                                           "version": "1.0.0"}))
        self._sequence = 1
        await self._send({"event": "start", "streamSid": self.stream_sid, "start": {
            "accountSid": TWILIO_SID, "streamSid": self.stream_sid, "callSid": self.call_sid,
            "tracks": ["inbound"], "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        self._next_frame_at = time.monotonic()

    async def frame(self, audio: bytes) -> None:
        """One 20 ms media frame, sent on the stream's clock; 20 ms of our audio plays."""
        delay = self._next_frame_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._next_frame_at = max(self._next_frame_at, time.monotonic() - self.pace) + self.pace
        self._chunk += 1
        self.sent_at.append(time.monotonic())
        await self._send({"event": "media", "streamSid": self.stream_sid, "media": {
            "track": "inbound", "chunk": str(self._chunk), "timestamp": str(self._chunk * 20),
            "payload": base64.b64encode(audio).decode()}})
        await self._play(FRAME)

    async def speak(self, audio: bytes) -> None:
        for frame in frames(audio):
            await self.frame(frame)

    async def quiet(self, ms: int) -> None:
        await self.speak(silence(ms))

    async def until(self, check: Callable[[], bool], *, most_ms: int = 60_000) -> None:
        """Keep the line open (silence) until `check()` holds."""
        for _ in range(most_ms // 20):
            if check() or self.server_closed.is_set():
                break
            with contextlib.suppress(ConnectionClosed):
                await self.frame(silence(20))
        assert check(), "timed out on the call"

    async def press(self, keys: str) -> None:
        for key in keys:
            await self._send({"event": "dtmf", "streamSid": self.stream_sid,
                              "dtmf": {"track": "inbound_track", "digit": key}})

    async def raw(self, text: str | bytes) -> None:
        await self.socket.send(text)

    async def stop(self) -> None:
        await self._send({"event": "stop", "streamSid": self.stream_sid,
                          "stop": {"accountSid": TWILIO_SID, "callSid": self.call_sid}})
        await self.socket.close()
        await self._reader

    async def drop(self) -> None:
        """The connection is lost: no `stop`, the socket just goes."""
        self.socket.transport.abort()
        with contextlib.suppress(Exception):
            await self._reader

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [message for _, _, message in self.received if message.get("event") == kind]

    @property
    def playing(self) -> bool:
        return bool(self._queue)

    async def _play(self, budget: int) -> None:
        while self._queue and (budget or self._queue[0][0] == "mark"):
            item = self._queue[0]
            if item[0] == "mark":
                self._queue.popleft()
                self.echoed.append(item[1])
                self.echoed_at[item[1]] = self._chunk
                await self._send({"event": "mark", "streamSid": self.stream_sid,
                                  "mark": {"name": item[1]}})
                continue
            played = min(budget, item[1])
            item[1] -= played
            budget -= played
            if not item[1]:
                self._queue.popleft()

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                self.received.append((time.monotonic(), self._chunk, message))
                assert message.get("streamSid") == self.stream_sid, message
                if message["event"] == "media":
                    audio = base64.b64decode(message["media"]["payload"])
                    self.audio += audio
                    self._queue.append(["audio", len(audio)])
                elif message["event"] == "mark":
                    self._queue.append(["mark", message["mark"]["name"]])
                elif message["event"] == "clear":
                    marks = [item[1] for item in self._queue if item[0] == "mark"]
                    self._queue.clear()
                    for name in marks:
                        self.cleared_marks.append(name)
                        await self._send({"event": "mark", "streamSid": self.stream_sid,
                                          "mark": {"name": name}})
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.socket.close_code
            self.server_closed.set()
