"""An LLM-written answer on a Media Streams call: with `openai_base_url` pointing at a local
OpenAI-compatible server that writes slowly, each checked sentence is synthesised and sent
as soon as it is written, is not said twice once the turn has committed, and a caller who
speaks over it has the part they heard noted on the transcript."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import LiveApp, live_app
from tests.channels.fake_elevenlabs import API_KEY, FakeElevenLabs
from tests.channels.voice_relay.conftest import twilio_overrides
from tests.channels.voice_stream.audio import decoded, spoken
from tests.channels.voice_stream.conftest import FAST, LONG, Place, settled, transcript
from tests.channels.voice_stream.twilio_stream import TwilioStream

QUESTION = "what documents do I need to apply?"
FIRST = "You can send your documents as photos on WhatsApp."
SECOND = "Our team reviews every document."
THIRD = "We tell you when something is missing."
WORD_SECONDS = 0.08


class SlowOpenAI(FakeOpenAI):
    """The fake model, writing its answer a word every `WORD_SECONDS`."""

    @staticmethod
    def _stream(text: str, model: str, created: int) -> Iterator[str]:
        for chunk in FakeOpenAI._stream(text, model, created):
            time.sleep(WORD_SECONDS)
            yield chunk


def understand(text: str) -> dict[str, Any]:
    if "?" in text:
        return {"intent": "question", "slots": {"question": text}, "confidence": 0.9}
    return {"intent": "greet", "slots": {}, "confidence": 0.9}


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with Running(SlowOpenAI(understand, lambda messages: f"{FIRST} {SECOND} {THIRD}")) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def stream_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
               elevenlabs_server: tuple[FakeElevenLabs, str], model_url: str,
               speech_folder: Path) -> Iterator[LiveApp]:
    """Media Streams with the LLM: overrides the offline app of the package's conftest."""
    elevenlabs_server[0].learn(QUESTION, decoded(spoken(QUESTION, speech_folder)))
    with live_app(settings, postgres, embedded_redis, database="voice_stream_llm",
                  voice_mode="stream", elevenlabs_api_key=SecretStr(API_KEY),
                  elevenlabs_base_url=elevenlabs_server[1], openai_base_url=model_url,
                  openai_model="fake-model", **twilio_overrides()) as app:
        yield app


async def ask(call: TwilioStream, elevenlabs: FakeElevenLabs, folder: Path) -> None:
    await call.until(settled(call, elevenlabs, 3))
    await call.speak(spoken(QUESTION, folder))


async def test_each_sentence_is_sent_as_soon_as_it_is_written(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        speech_folder: Path) -> None:
    call = await place_call("+18685550121")
    await ask(call, elevenlabs, speech_folder)
    await call.until(lambda: len(elevenlabs.syntheses) >= 7)
    await call.until(settled(call, elevenlabs, 7))
    lines = elevenlabs.said()[3:]
    assert lines[:3] == [FIRST, SECOND, THIRD] and lines[3].startswith("That's from our ")
    assert len(lines) == 4  # the committed reply was not said again
    # The first sentence was on the line while the model was still writing the third.
    first_audio = next(at for at, _, m in call.received if m["event"] == "media"
                       and at > (elevenlabs.syntheses[3].first_byte_at or 0))
    assert (elevenlabs.syntheses[5].first_byte_at or 0) - first_audio > 8 * WORD_SECONDS
    await call.stop()
    rows = await transcript(stream_app, call)
    answer = rows[1]
    assert answer["body"].startswith(f"{FIRST} {SECOND} {THIRD}") and answer["meta"] == {}


async def test_speaking_over_an_answer_notes_the_sentences_heard(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes], speech_folder: Path) -> None:
    call = await place_call("+18685550122", pace=FAST)
    elevenlabs.ms_per_char = 60
    await ask(call, elevenlabs, speech_folder)
    await call.until(lambda: len(call.echoed) == 4)  # the greeting and the first sentence
    await call.speak(phrases[LONG])
    await call.quiet(600)
    await call.until(lambda: len(elevenlabs.transcriptions) == 2)
    await call.until(settled(call, elevenlabs, len(elevenlabs.syntheses)))
    assert len(call.events("clear")) == 1
    rows = await transcript(stream_app, call)
    answer = next(r for r in rows if r["body"].startswith(FIRST))
    assert answer["meta"] == {"interrupted": True, "heard": FIRST}
    await call.stop()
