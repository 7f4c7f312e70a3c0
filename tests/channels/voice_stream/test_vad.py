"""The end-of-speech detector on real speech (espeak-ng through sox, as a phone carries it),
on a noisy line, and on clicks; time is counted in 20 ms frames of audio."""

from __future__ import annotations

import subprocess
from pathlib import Path

from channels.voice.vad import Detector, SpeechEnded, SpeechPaused, SpeechStarted, VadConfig, rms
from tests.channels.voice_stream.audio import frames, noise, silence
from tests.channels.voice_stream.conftest import ASHA_BIRTHDAY, BALANCE

Event = SpeechStarted | SpeechPaused | SpeechEnded | None


def run(audio: bytes, config: VadConfig | None = None) -> list[tuple[int, Event]]:
    detector = Detector(config)
    return [(index, event) for index, frame in enumerate(frames(audio))
            if (event := detector.feed(frame)) is not None]


def last_loud(audio: bytes, threshold: float = 300.0) -> int:
    return max(i for i, frame in enumerate(frames(audio)) if rms(frame) >= threshold)


def test_an_utterance_ends_one_silence_window_after_its_last_voiced_frame(
        phrases: dict[str, bytes]) -> None:
    speech = phrases[BALANCE]
    audio = silence(400) + speech + silence(1000)
    events = run(audio)
    assert [type(event) for _, event in events] == [SpeechStarted, SpeechPaused, SpeechEnded]
    (started, _), _, (ended, end) = events
    assert started == 20 + 2  # 400 ms of quiet, then 60 ms of voice in a row
    last = 20 + last_loud(speech)
    assert ended == last + 25  # 500 ms: 25 frames without voice
    assert isinstance(end, SpeechEnded)
    # The utterance keeps 200 ms before the start and 200 ms after the last voiced frame.
    assert end.audio == b"".join(frames(audio)[started - 2 - 10:last + 1 + 10])


def test_the_window_is_configurable(phrases: dict[str, bytes]) -> None:
    audio = silence(200) + phrases[BALANCE] + silence(1000)
    ended = [i for i, event in run(audio, VadConfig(silence_ms=300))
             if isinstance(event, SpeechEnded)]
    assert ended == [10 + last_loud(phrases[BALANCE]) + 15]


def test_a_noisy_line_is_not_speech_but_speech_over_it_is(
        phrases: dict[str, bytes], speech_folder: Path) -> None:
    hiss = noise(4000, speech_folder)
    assert run(hiss) == []
    mixed = speech_folder / "mixed.ul"
    speech = speech_folder / "speech-padded.ul"
    speech.write_bytes(silence(1000) + phrases[BALANCE] + silence(1000))
    subprocess.run(["sox", "-m", "-t", "ul", "-r", "8000", "-c", "1", str(speech),
                    "-t", "ul", "-r", "8000", "-c", "1", str(speech_folder / "noise-4000-0.02.ul"),
                    "-t", "ul", str(mixed)], check=True, capture_output=True)
    events = run(mixed.read_bytes())
    assert [type(event) for _, event in events] == [SpeechStarted, SpeechPaused, SpeechEnded]
    assert 45 <= events[0][0] <= 60


def test_clicks_and_short_bursts_are_not_speech() -> None:
    click = b"\x00" * 160  # one frame at full scale
    assert run(silence(200) + click + silence(500) + click * 2 + silence(500)) == []


def test_a_pause_is_announced_with_the_utterance_as_it_would_end(
        phrases: dict[str, bytes]) -> None:
    first, second = phrases[BALANCE], phrases[ASHA_BIRTHDAY]
    audio = silence(200) + first + second + silence(1000)  # espeak leaves ~400 ms between
    events = run(audio)
    kinds = [type(event).__name__ for _, event in events]
    # The gap is a pause, not an end; so are the end's own first 250 ms of quiet.
    assert kinds == ["SpeechStarted", "SpeechPaused", "SpeechPaused", "SpeechEnded"]
    pause_at = [i for i, event in events if isinstance(event, SpeechPaused)]
    assert pause_at[0] == 10 + last_loud(first) + 13  # 250 ms: 12.5 frames, so the 13th
    early, end = events[2][1], events[3][1]
    assert isinstance(early, SpeechPaused) and isinstance(end, SpeechEnded)
    assert early.audio == end.audio
    assert run(audio, VadConfig(pause_ms=None))[1:2] == [(events[3][0], end)]
