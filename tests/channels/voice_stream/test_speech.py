"""`Speech` (the real `elevenlabs` client) against the fake ElevenLabs: the wire format, and the
fake's honesty (it transcribes only the caller's own audio, whole)."""

from __future__ import annotations

import pytest

from channels.voice.speech import Speech, SpeechError
from tests.channels.fake_elevenlabs import API_KEY, FakeElevenLabs
from tests.channels.voice_stream.audio import silence
from tests.channels.voice_stream.conftest import ASHA_BIRTHDAY, BALANCE


@pytest.fixture
def speech(elevenlabs_server: tuple[FakeElevenLabs, str]) -> Speech:
    return Speech(api_key=API_KEY, base_url=elevenlabs_server[1], voice_id="voice-1",
                  tts_model="eleven_flash_v2_5", stt_model="scribe_v1")


async def test_an_utterance_is_transcribed_from_its_own_audio(
        speech: Speech, elevenlabs: FakeElevenLabs, phrases: dict[str, bytes]) -> None:
    assert await speech.transcribe(silence(200) + phrases[BALANCE] + silence(300)) == BALANCE
    assert await speech.transcribe(phrases[ASHA_BIRTHDAY]) == ASHA_BIRTHDAY
    clipped = phrases[BALANCE][800:]  # its first 100 ms lost
    assert await speech.transcribe(clipped) == ""
    assert await speech.transcribe(silence(1000)) == ""
    assert [(t.model_id, t.file_format) for t in elevenlabs.transcriptions] == [
        ("scribe_v1", "pcm_s16le_16")] * 4
    assert elevenlabs.transcriptions[0].seconds == pytest.approx(
        (len(phrases[BALANCE]) + 4000) / 8000)


async def test_speech_streams_in_twilio_format(speech: Speech,
                                               elevenlabs: FakeElevenLabs) -> None:
    chunks = [chunk async for chunk in speech.synthesize("Your balance is ten dollars.")]
    assert b"".join(chunks) == elevenlabs.audio_for("Your balance is ten dollars.")
    assert len(chunks) > 1  # streamed, not one body
    (synthesis,) = elevenlabs.syntheses
    assert (synthesis.voice_id, synthesis.model_id, synthesis.output_format) == (
        "voice-1", "eleven_flash_v2_5", "ulaw_8000")


async def test_a_refusal_is_a_speech_error(elevenlabs_server: tuple[FakeElevenLabs, str],
                                           phrases: dict[str, bytes]) -> None:
    wrong = Speech(api_key="wrong-key", base_url=elevenlabs_server[1], voice_id="v",
                   tts_model="m", stt_model="s")
    with pytest.raises(SpeechError, match="401"):
        await wrong.transcribe(phrases[BALANCE])
    with pytest.raises(SpeechError, match="401"):
        _ = [chunk async for chunk in wrong.synthesize("Hello.")]
