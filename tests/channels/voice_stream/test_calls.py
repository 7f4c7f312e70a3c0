"""Calls over Media Streams with real audio: a caller checks their balance and verifies with
their date of birth and keyed ID digits, talks over us, drops the line, says nothing, or
sends rubbish; we hear the end of each utterance, transcribe it, answer in streamed speech."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from channels import live
from channels.voice.media_stream import GOODBYE, GREETING, STILL_THERE
from channels.voice.speech import sentences
from core.conversations.models import Author, Conversation
from core.conversations.outbox import enqueue_reply
from tests.channels.conftest import LiveApp
from tests.channels.fake_elevenlabs import FakeElevenLabs
from tests.channels.voice_relay.conftest import eventually, query
from tests.channels.voice_stream.conftest import (
    ASHA,
    ASHA_BIRTHDAY,
    ASHA_ID_DIGITS,
    BALANCE,
    FAST,
    LONG,
    PERSON,
    Place,
    settled,
    transcript,
)
from tests.channels.voice_stream.twilio_stream import TwilioStream

GOODBYE_LINES = sentences(GOODBYE)


def padded(audio: bytes) -> bytes:
    return audio + b"\xff" * (-len(audio) % 160)


async def reply_to(call: TwilioStream, fake: FakeElevenLabs, audio: bytes) -> list[str]:
    """Say `audio` with a little quiet around it; the lines of our answer once played."""
    before = len(fake.syntheses)
    await call.quiet(200)
    await call.speak(audio)
    await call.until(lambda: len(fake.syntheses) > before)
    await call.until(settled(call, fake, len(fake.syntheses)))
    return fake.said()[before:]


async def test_a_caller_checks_their_balance_verifying_by_voice_and_keys(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA)
    await call.until(settled(call, elevenlabs, 3))
    assert " ".join(elevenlabs.said()) == GREETING.format(lender=stream_app.settings.lender_name)

    asked = " ".join(await reply_to(call, elevenlabs, phrases[BALANCE]))
    assert "date of birth" in asked
    asked = " ".join(await reply_to(call, elevenlabs, phrases[ASHA_BIRTHDAY]))
    assert "last 4 digits" in asked

    before = len(elevenlabs.syntheses)
    await call.press(ASHA_ID_DIGITS + "#")
    await call.until(lambda: len(elevenlabs.syntheses) > before)
    await call.until(settled(call, elevenlabs, len(elevenlabs.syntheses)))
    answer = " ".join(elevenlabs.said()[before:])
    assert "verified" in answer and "dollars" in answer and "TT$" not in answer

    # What ElevenLabs heard was the caller's own audio, and what the caller heard was exactly
    # what ElevenLabs spoke, in order, in Twilio's 20 ms frames.
    assert [t.text for t in elevenlabs.transcriptions] == [BALANCE, ASHA_BIRTHDAY]
    assert {(t.model_id, t.file_format) for t in elevenlabs.transcriptions} == {
        ("scribe_v1", "pcm_s16le_16")}
    assert {(s.voice_id, s.model_id, s.output_format) for s in elevenlabs.syntheses} == {
        (stream_app.settings.elevenlabs_voice_id, "eleven_flash_v2_5", "ulaw_8000")}
    assert bytes(call.audio) == b"".join(padded(elevenlabs.audio_for(text))
                                         for text in elevenlabs.said())
    assert all(len(m["media"]["payload"]) == 216 for m in call.events("media"))  # 160 bytes
    assert call.events("clear") == [] and call.cleared_marks == []

    await call.stop()
    rows = await eventually(lambda: _closed(stream_app, call))
    inbound = [(r["body"], r["provider_message_id"]) for r in rows if r["direction"] == "inbound"]
    # The keyed ID digits are masked in the transcript once the turn is done.
    assert inbound == [(BALANCE, f"{call.call_sid}-1"), (ASHA_BIRTHDAY, f"{call.call_sid}-2"),
                       ("••••", f"{call.call_sid}-3")]
    assert rows[0]["customer_id"] is not None
    assert not any((r["meta"] or {}).get("interrupted") for r in rows)


async def _closed(app: LiveApp, call: TwilioStream) -> list[dict[str, Any]] | None:
    rows = await transcript(app, call)
    return rows if rows and rows[0]["status"] == "closed" else None


def after_clear(call: TwilioStream) -> tuple[int, bytes]:
    """Where the (one) `clear` came among our messages, and the audio we sent after it."""
    messages = [message for _, _, message in call.received]
    clears = [i for i, message in enumerate(messages) if message["event"] == "clear"]
    assert len(clears) == 1, clears
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in messages[clears[0]:]
                     if m["event"] == "media")
    return clears[0], audio


async def test_talking_over_the_greeting_stops_it_and_answers(
        place_call: Place, elevenlabs: FakeElevenLabs, phrases: dict[str, bytes]) -> None:
    elevenlabs.chunk_interval = 0.2  # slower than real time: still synthesising when cut
    elevenlabs.ms_per_char = 60
    call = await place_call(ASHA, pace=FAST)
    await call.until(lambda: bool(call.events("media")))
    await call.speak(phrases[LONG])
    elevenlabs.chunk_interval = 0.0
    await call.quiet(600)
    await call.until(lambda: any("date of birth" in text for text in elevenlabs.said()))
    await call.until(settled(call, elevenlabs, len(elevenlabs.syntheses)))

    greeting = elevenlabs.syntheses[0]
    assert greeting.ended and not greeting.finished
    assert 0 < greeting.sent < len(elevenlabs.audio_for(greeting.text))
    assert not any("How can I help" in text for text in elevenlabs.said())  # never started
    assert call.cleared_marks == [] and call.echoed  # nothing had played: no mark to drop
    _, audio = after_clear(call)
    assert audio == b"".join(padded(elevenlabs.audio_for(s.text)) for s in elevenlabs.syntheses[1:])
    assert [t.text for t in elevenlabs.transcriptions] == [LONG]


async def test_talking_over_a_reply_notes_the_part_heard(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA, pace=FAST)
    await call.until(settled(call, elevenlabs, 3))
    elevenlabs.ms_per_char = 60  # about a person's pace: time to speak over the second line
    await call.speak(phrases[BALANCE])
    await call.until(lambda: len(call.echoed) == 4)  # the reply's first sentence has played
    assert call.playing
    await call.speak(phrases[LONG])
    await call.quiet(600)
    await call.until(lambda: len(elevenlabs.transcriptions) == 2)
    await call.until(settled(call, elevenlabs, len(elevenlabs.syntheses)))
    assert len(call.events("clear")) == 1 and len(call.cleared_marks) == 1

    rows = await transcript(stream_app, call)
    asked = next(r for r in rows if r["direction"] == "outbound")
    assert asked["meta"]["interrupted"] is True
    assert asked["meta"]["heard"] == asked["body"].split(". ")[0] + "."
    assert [r["body"] for r in rows if r["direction"] == "inbound"] == [BALANCE, LONG]
    await call.stop()


async def test_a_dropped_stream_still_commits_the_turn_in_flight(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA)
    await call.until(settled(call, elevenlabs, 3))
    elevenlabs.stt_delay = 1.0  # the line drops while we are still transcribing
    await call.speak(phrases[BALANCE])
    await call.quiet(600)  # longer than the end-of-speech window: the turn has begun
    await call.drop()

    rows = await eventually(lambda: _closed(stream_app, call))
    assert (rows[0]["direction"], rows[0]["body"]) == ("inbound", BALANCE)
    reply = rows[1]
    assert "date of birth" in reply["body"]
    assert reply["meta"] == {"interrupted": True, "heard": ""}  # never said: the line was gone
    assert [t.text for t in elevenlabs.transcriptions] == [BALANCE]
    assert len(elevenlabs.syntheses) == 3  # the greeting only


async def test_a_silent_caller_is_asked_once_then_the_call_ends(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp) -> None:
    call = await place_call("+18685559871", pace=FAST)
    await call.until(lambda: call.server_closed.is_set(), most_ms=40_000)

    lines = elevenlabs.said()
    assert lines[3:] == [STILL_THERE, *GOODBYE_LINES]
    assert len(call.echoed) == len(call.events("mark")) == 7  # all played before we hung up
    assert call.close_code == 1000
    # Quiet is counted in the caller's audio from when the greeting had played (its last
    # mark echoed): 8 s is 400 frames of 20 ms; then the prompt is made and sent, while the
    # caller's frames go on at five times real time.
    played = call.echoed_at["line-3"]
    prompt = min(n for _, n, m in call.received if m["event"] == "media" and n > played)
    assert 400 <= prompt - played <= 500
    audits = await query(stream_app, "select action from audit_events where entity_id = :sid",
                         sid=call.call_sid)
    assert [a["action"] for a in audits] == ["call.ended_by_agent"]


async def test_rubbish_frames_are_ignored_and_the_call_goes_on(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes], caplog: pytest.LogCaptureFixture) -> None:
    call = await place_call(ASHA, pace=FAST)
    await call.until(settled(call, elevenlabs, 3))
    rubbish: list[str | bytes] = [
        "not json", "[1, 2]", b"\x00\x01binary", json.dumps({"event": "bogus"}),
        json.dumps({"event": "media"}), json.dumps({"event": "media", "media": {"payload": "@@"}}),
        json.dumps({"event": "media", "media": {"track": "outbound", "payload": "//8="}}),
        json.dumps({"event": "dtmf", "dtmf": {"digit": "x"}}),
        json.dumps({"event": "mark", "mark": {"name": "never-sent"}}),
        json.dumps({"event": "start", "start": {"streamSid": "MZ2", "callSid": "CA2"}}),
    ]
    with caplog.at_level(logging.WARNING, logger="channels.voice.media_stream"):
        for message in rubbish:
            await call.raw(message)
        asked = " ".join(await reply_to(call, elevenlabs, phrases[BALANCE]))
    assert "date of birth" in asked
    ignored = [r for r in caplog.records if r.getMessage().startswith("Ignored a")]
    assert len(ignored) == len(rubbish) - 2  # an outbound track and an unknown mark are normal
    rows = await transcript(stream_app, call)
    assert [r["body"] for r in rows if r["direction"] == "inbound"] == [BALANCE]
    await call.stop()


async def test_a_failed_transcription_asks_again(
        place_call: Place, elevenlabs: FakeElevenLabs, phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA, pace=FAST)
    await call.until(settled(call, elevenlabs, 3))
    elevenlabs.stt_status = 503
    assert await reply_to(call, elevenlabs, phrases[BALANCE]) == [
        "Sorry, I didn't catch that.", "Could you say it again?"]
    elevenlabs.stt_status = 200
    assert "date of birth" in " ".join(await reply_to(call, elevenlabs, phrases[BALANCE]))
    await call.stop()


async def test_asking_for_a_person_ends_the_stream_for_the_hand_over(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call("+18685559872", pace=FAST)
    await call.until(settled(call, elevenlabs, 3))
    await call.speak(phrases[PERSON])
    await call.quiet(600)
    await call.until(lambda: call.server_closed.is_set())
    assert len(call.echoed) == len(call.events("mark")) > 3  # the reply played in full
    assert call.close_code == 1000
    rows = await eventually(lambda: _settled_rows(stream_app, call))
    assert rows[0]["status"] == "escalated"
    assert not any((r["meta"] or {}).get("interrupted") for r in rows)


async def _settled_rows(app: LiveApp, call: TwilioStream) -> list[dict[str, Any]] | None:
    rows = await transcript(app, call)
    return rows if rows and rows[-1]["direction"] == "outbound" else None


@pytest.mark.parametrize("signature", [None, "bad-signature"])
async def test_an_unsigned_stream_is_refused(stream_app: LiveApp, signature: str | None) -> None:
    url = f"{stream_app.ws_url}/channels/voice/stream"
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, additional_headers=headers)
    assert refused.value.response.status_code == 403
    audits = await query(stream_app, "select after from audit_events where action = "
                         "'webhook.refused' and entity_id = '/channels/voice/stream' "
                         "order by id desc limit 1")
    reason = "missing signature" if signature is None else "bad signature"
    assert audits[0]["after"]["url"] == url
    assert audits[0]["after"]["reason"] == reason


async def test_a_pause_mid_sentence_is_not_the_end_of_it(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA)
    await call.until(settled(call, elevenlabs, 3))
    # espeak leaves about 400 ms between the two: a pause, shorter than the 500 ms window.
    await reply_to(call, elevenlabs, phrases[BALANCE] + phrases[ASHA_BIRTHDAY])
    both = f"{BALANCE} {ASHA_BIRTHDAY}"
    # Transcription began at each pause; the one at the mid-sentence pause was dropped when
    # the caller went on, the one at the final pause was the turn's.
    heard = [t.text for t in elevenlabs.transcriptions]
    assert heard[-1] == both and set(heard[:-1]) <= {BALANCE} and len(heard) <= 2
    rows = await transcript(stream_app, call)
    assert [r["body"] for r in rows if r["direction"] == "inbound"] == [both]
    await call.stop()


async def test_a_staff_reply_during_the_call_is_spoken(
        place_call: Place, elevenlabs: FakeElevenLabs, stream_app: LiveApp,
        phrases: dict[str, bytes]) -> None:
    call = await place_call(ASHA, pace=FAST)
    await call.until(settled(call, elevenlabs, 3))
    await reply_to(call, elevenlabs, phrases[BALANCE])
    rows = await transcript(stream_app, call)

    async def staff_reply() -> None:
        state = stream_app.app.state
        async with state.session_factory() as session, session.begin():
            conversation = await session.get_one(Conversation, rows[0]["conversation_id"])
            await enqueue_reply(session, conversation=conversation, author=Author.STAFF,
                                body="This is Maria from the team. I can help too.",
                                now=dt.datetime.now(dt.UTC))
        await live.publish(state.services.redis, conversation.id)

    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(staff_reply(), stream_app.loop))
    await call.until(lambda: "I can help too." in elevenlabs.said())
    assert elevenlabs.said()[-2:] == ["This is Maria from the team.", "I can help too."]
    await call.stop()
