"""Phone calls over Media Streams, end to end: Twilio's signed incoming-call webhook answers
`<Connect><Stream>`, then a `TwilioStream` opens the signed socket it names and streams real
speech (espeak-ng, μ-law 8 kHz) in 20 ms frames; ElevenLabs is a local fake speaking its
wire format; the app runs with the offline understander on its own demo database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, live_app
from tests.channels.fake_elevenlabs import API_KEY, FakeElevenLabs, Running
from tests.channels.voice_relay.conftest import answer, call_sid, query, sign, twilio_overrides
from tests.channels.voice_stream.audio import decoded, spoken
from tests.channels.voice_stream.twilio_stream import REAL_TIME, TwilioStream

ASHA = "+18685550101"  # a demo borrower with a current loan
ASHA_BIRTHDAY = "17 June 1972"
ASHA_ID_DIGITS = "7974"
BALANCE = "what is my balance"
PERSON = "I want to talk to a person"
LONG = "actually could you tell me my balance for this month please"
PHRASES = (BALANCE, ASHA_BIRTHDAY, PERSON, LONG)
FAST = 0.004  # five times real time: a call counts time in audio, so it is the same call
Place = Callable[..., Awaitable[TwilioStream]]


@pytest.fixture(scope="session")
def speech_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def phrases(speech_folder: Path) -> dict[str, bytes]:
    """Each test phrase as a caller says it: μ-law 8 kHz."""
    return {phrase: spoken(phrase, speech_folder) for phrase in PHRASES}


@pytest.fixture(scope="module")
def elevenlabs_server(phrases: dict[str, bytes]) -> Iterator[tuple[FakeElevenLabs, str]]:
    fake = FakeElevenLabs()
    for phrase, audio in phrases.items():
        fake.learn(phrase, decoded(audio))
    with Running(fake) as running:
        yield fake, running.base_url


@pytest.fixture
def elevenlabs(elevenlabs_server: tuple[FakeElevenLabs, str]) -> Iterator[FakeElevenLabs]:
    fake = elevenlabs_server[0]
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture(scope="module")
def stream_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
               elevenlabs_server: tuple[FakeElevenLabs, str]) -> Iterator[LiveApp]:
    """The app (offline understanding) answering calls over Media Streams."""
    with live_app(settings, postgres, embedded_redis, database="voice_stream",
                  voice_mode="stream", elevenlabs_api_key=SecretStr(API_KEY),
                  elevenlabs_base_url=elevenlabs_server[1], **twilio_overrides()) as app:
        yield app


@pytest.fixture
async def place_call(stream_app: LiveApp) -> AsyncIterator[Place]:
    """Ring our number (the signed incoming-call webhook) and open the stream its TwiML
    names, signed, with its parameters; every call is closed after the test."""
    calls: list[TwilioStream] = []

    async def place(caller: str = ASHA, *, pace: float = REAL_TIME) -> TwilioStream:
        sid = call_sid()
        stream = (await answer(stream_app, caller, sid)).find("./Connect/Stream")
        assert stream is not None
        url = stream.attrib["url"]
        socket = await connect(url, additional_headers={"X-Twilio-Signature": sign(url)})
        call = TwilioStream(socket, call_sid=sid, pace=pace)
        await call.start({p.attrib["name"]: p.attrib["value"]
                          for p in stream.findall("./Parameter")})
        calls.append(call)
        return call

    yield place
    for call in calls:
        await call.drop()


def settled(call: TwilioStream, fake: FakeElevenLabs, lines: int) -> Callable[[], bool]:
    """At least `lines` said, all of them played (or cleared), and nothing being made."""
    return lambda: (len(fake.syntheses) >= lines and all(s.ended for s in fake.syntheses)
                    and len(call.echoed) + len(call.cleared_marks) == len(call.events("mark"))
                    and len(call.events("mark")) >= lines)


async def transcript(app: LiveApp, call: TwilioStream) -> list[dict[str, Any]]:
    """The messages of the call's conversation, oldest first."""
    return await query(app, """
        select m.direction, m.body, m.meta, m.provider_message_id, m.conversation_id, c.status,
               c.customer_id
        from conversation_messages m join conversations c on c.id = m.conversation_id
        where m.conversation_id = (select conversation_id from conversation_messages
                                   where provider_message_id like :sid limit 1)
        order by m.id""", sid=f"{call.call_sid}-%")
