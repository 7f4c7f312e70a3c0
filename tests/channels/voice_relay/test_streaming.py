"""An LLM-written answer on a call: with `openai_base_url` pointing at a local
OpenAI-compatible server that writes slowly, the caller hears each checked sentence as soon
as it is written, can cut it short, and can hang up half way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import LiveApp, live_app
from tests.channels.voice_relay.conftest import (
    conversation_of,
    eventually,
    messages,
    place_call,
    twilio_overrides,
)

QUESTION = "what documents do I need to apply?"
FIRST = "You can send your documents as photos on WhatsApp."
SECOND = "Our team reviews every document."
THIRD = "We tell you when something is missing."
WORD_SECONDS = 0.08


class SlowOpenAI(FakeOpenAI):
    """The fake server, writing its answer a word every `WORD_SECONDS` as a model does."""

    base_url = ""  # where it serves, once it does

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
def model() -> Iterator[SlowOpenAI]:
    fake = SlowOpenAI(understand, lambda messages: f"{FIRST} {SECOND} {THIRD}")
    with Running(fake) as server:
        fake.base_url = server.base_url
        yield fake


@pytest.fixture(scope="module")
def llm_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
            model: SlowOpenAI) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="voice_relay_llm",
                  openai_base_url=model.base_url,
                  openai_model="fake-model", **twilio_overrides()) as app:
        yield app


async def test_each_sentence_is_spoken_as_soon_as_it_is_written(
    llm_app: LiveApp, model: SlowOpenAI,
) -> None:
    call = await place_call(llm_app, "+18685550111")
    await call.send({"type": "prompt", "voicePrompt": QUESTION, "last": True})
    frames: list[tuple[float, dict[str, Any]]] = []
    while not frames or not frames[-1][1]["last"]:
        frames.append((time.monotonic(), await call.frame()))
    tokens = [frame["token"] for _, frame in frames]
    assert tokens[:3] == [FIRST, f" {SECOND}", f" {THIRD}"]
    assert tokens[3].lstrip().startswith("That's from our ") and tokens[4] == ""
    # the first sentence was spoken while the model was still writing the other two
    assert frames[2][0] - frames[0][0] > 8 * WORD_SECONDS
    assert model.requests[-1]["stream"] is True
    await call.hang_up()
    conversation = await eventually(lambda: conversation_of(llm_app, "+18685550111"))
    answers = [m for m in await messages(llm_app, conversation["id"])
               if m["direction"] == "outbound"]
    assert len(answers) == 1 and answers[0]["body"].startswith(f"{FIRST} {SECOND} {THIRD}")
    assert answers[0]["meta"] == {}


async def test_speaking_over_an_answer_stops_it_and_notes_what_was_heard(
    llm_app: LiveApp,
) -> None:
    caller = "+18685550112"
    call = await place_call(llm_app, caller)
    await call.send({"type": "prompt", "voicePrompt": QUESTION, "last": True})
    assert (await call.frame())["token"] == FIRST
    await call.interrupt("You can send your documents")
    # nothing more of the answer: the next words are the reply to what the caller said next
    assert "assistant" in await call.say("hello")
    conversation = await conversation_of(llm_app, caller)
    assert conversation is not None
    answer = next(m for m in await messages(llm_app, conversation["id"])
                  if m["body"].startswith(FIRST))
    assert answer["meta"] == {"interrupted": True, "heard": "You can send your documents"}
    await call.hang_up()


async def test_a_call_dropped_mid_answer_still_commits_the_whole_turn(
    llm_app: LiveApp,
) -> None:
    caller = "+18685550113"
    call = await place_call(llm_app, caller)
    await call.send({"type": "prompt", "voicePrompt": QUESTION, "last": True})
    assert (await call.frame())["token"] == FIRST
    await call.hang_up()

    async def closed() -> dict[str, Any] | None:
        found = await conversation_of(llm_app, caller)
        return found if found is not None and found["status"] == "closed" else None
    conversation = await eventually(closed)
    transcript = [(m["direction"], m["body"], m["meta"])
                  for m in await messages(llm_app, conversation["id"])]
    assert transcript[0] == ("inbound", QUESTION, {"call_sid": call.sid})
    direction, body, meta = transcript[1]
    assert direction == "outbound" and body.startswith(f"{FIRST} {SECOND} {THIRD}")
    assert meta == {"interrupted": True, "heard": FIRST}
    assert len(transcript) == 2
