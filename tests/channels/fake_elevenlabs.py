"""A small ElevenLabs for tests: the real `elevenlabs` client talks HTTP to it, in ElevenLabs'
own wire format.

- `POST /v1/speech-to-text` (multipart: `model_id`, `file_format`, `file`) only understands
  `pcm_s16le_16` and transcribes the phrases it was taught whose speech is in the audio,
  sample for sample, in the order they come: `learn(text, pcm)` takes a phrase as 16-bit PCM
  at 8 kHz (decoded by sox, not by our code), and the upload must contain the phrase's voiced
  part exactly once its 16 kHz samples are taken back to 8 kHz. So a transcript proves we
  sent the caller's real audio, whole and undistorted; anything else transcribes as "".
- `POST /v1/text-to-speech/{voice_id}/stream?output_format=ulaw_8000` streams `audio_for
  (text)`: deterministic μ-law, `ms_per_char` of it a character, in 100 ms chunks, so a
  test can check the call carried exactly these bytes in order.

`stt_delay` and `tts_delay` (seconds before the answer, before the first audio byte) stand
for the provider's own latency; `chunk_interval` paces the audio after the first chunk.
Every request is kept (`transcriptions`, `syntheses`), including whether a stream was cut
off by the client before its end.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import socket
import threading
import time
from array import array
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

API_KEY = "test-elevenlabs-key"
CORE_RMS = 800  # a 20 ms window this loud is clearly speech: the part that must arrive
CHUNK = 800  # 100 ms of μ-law 8 kHz


@dataclass
class Transcription:
    model_id: str
    file_format: str
    seconds: float
    text: str


@dataclass
class Synthesis:
    voice_id: str
    model_id: str
    output_format: str
    text: str
    sent: int = 0
    finished: bool = False  # every byte went out
    ended: bool = False  # finished, or cut off by the client
    first_byte_at: float | None = None  # time.monotonic() as the first chunk went out


def voiced_core(pcm: bytes) -> bytes:
    """The phrase from its first to its last clearly voiced 20 ms window."""
    samples = array("h", pcm)
    window = 160
    loud = [start for start in range(0, len(samples), window)
            if math.sqrt(sum(s * s for s in samples[start:start + window]) / window) >= CORE_RMS]
    if not loud:
        raise ValueError("the phrase has no voiced part")
    return samples[loud[0]:loud[-1] + window].tobytes()


class FakeElevenLabs:
    def __init__(self, *, api_key: str = API_KEY, ms_per_char: int = 10) -> None:
        self.api_key = api_key
        self.usual_ms_per_char = self.ms_per_char = ms_per_char
        self.stt_delay = 0.0
        self.tts_delay = 0.0
        self.chunk_interval = 0.0
        self.stt_status = 200
        self.phrases: dict[str, bytes] = {}  # transcript -> voiced core, 16-bit 8 kHz
        self.transcriptions: list[Transcription] = []
        self.syntheses: list[Synthesis] = []
        self.app = FastAPI()
        self.app.post("/v1/speech-to-text")(self._speech_to_text)
        self.app.post("/v1/text-to-speech/{voice_id}/stream")(self._text_to_speech)

    def learn(self, text: str, pcm: bytes) -> None:
        self.phrases[text] = voiced_core(pcm)

    def reset(self) -> None:
        self.stt_delay = self.tts_delay = self.chunk_interval = 0.0
        self.stt_status = 200
        self.ms_per_char = self.usual_ms_per_char
        self.transcriptions.clear()
        self.syntheses.clear()

    def audio_for(self, text: str) -> bytes:
        size = max(len(text), 1) * self.ms_per_char * 8
        seed = hashlib.sha256(text.encode()).digest()
        return (seed * (size // len(seed) + 1))[:size]

    def said(self) -> list[str]:
        return [synthesis.text for synthesis in self.syntheses]

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("xi-api-key") != self.api_key:
            return JSONResponse({"detail": {"status": "invalid_api_key",
                                            "message": "Invalid API key"}}, status_code=401)
        return None

    def transcript(self, pcm16k: bytes) -> str:
        heard = array("h", pcm16k)[0::2].tobytes()
        found = sorted((at, text) for text, core in self.phrases.items()
                       if (at := _aligned_at(core, heard)) is not None)
        return " ".join(text for _, text in found)

    async def _speech_to_text(self, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        form = await request.form()
        upload: Any = form.get("file")
        file_format = str(form.get("file_format", "other"))
        if upload is None or file_format != "pcm_s16le_16":
            return JSONResponse({"detail": {"status": "invalid_audio",
                                            "message": "Send pcm_s16le_16 audio."}},
                                status_code=422)
        audio = await upload.read()
        await asyncio.sleep(self.stt_delay)
        if self.stt_status != 200:
            return JSONResponse({"detail": {"status": "error", "message": "Unavailable"}},
                                status_code=self.stt_status)
        text = self.transcript(audio)
        seconds = len(audio) / 32000
        self.transcriptions.append(Transcription(str(form.get("model_id")), file_format,
                                                 seconds, text))
        words = text.split()
        step = seconds / max(len(words), 1)
        return JSONResponse({
            "language_code": "eng", "language_probability": 0.98, "text": text,
            "words": [{"text": word, "start": round(i * step, 3), "end": round((i + 1) * step, 3),
                       "type": "word", "logprob": 0.0} for i, word in enumerate(words)],
        })

    async def _text_to_speech(self, voice_id: str, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        body = await request.json()
        output_format = request.query_params.get("output_format", "mp3_44100_128")
        if output_format != "ulaw_8000":
            return JSONResponse({"detail": {"status": "invalid_output_format",
                                            "message": "This fake speaks ulaw_8000 only."}},
                                status_code=422)
        synthesis = Synthesis(voice_id, str(body.get("model_id")), output_format,
                              str(body["text"]))
        self.syntheses.append(synthesis)
        return StreamingResponse(self._stream(synthesis), media_type="audio/basic")

    async def _stream(self, synthesis: Synthesis) -> AsyncIterator[bytes]:
        audio = self.audio_for(synthesis.text)
        try:
            await asyncio.sleep(self.tts_delay)
            for start in range(0, len(audio), CHUNK):
                if start:
                    await asyncio.sleep(self.chunk_interval)
                if synthesis.first_byte_at is None:
                    synthesis.first_byte_at = time.monotonic()
                synthesis.sent += len(audio[start:start + CHUNK])
                yield audio[start:start + CHUNK]
            synthesis.finished = True
        finally:
            synthesis.ended = True


def _aligned_at(core: bytes, heard: bytes) -> int | None:
    """Where `core` starts in `heard` on a sample boundary, or None."""
    at = heard.find(core)
    while at != -1 and at % 2:
        at = heard.find(core, at + 1)
    return None if at == -1 else at


class Running:
    """The fake on a free local port, in a background thread, until the block ends."""

    def __init__(self, fake: FakeElevenLabs) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake ElevenLabs server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
