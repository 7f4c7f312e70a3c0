"""When a caller starts and stops speaking: an energy detector over 20 ms μ-law frames.

A frame is voiced when its loudness (RMS) is above a threshold that rises with the line's
noise. Speech starts after `start_ms` of voiced frames in a row and ends after `silence_ms`
without one; the utterance handed on keeps `preroll_ms` before the start (so a soft first
consonant is not clipped) and `tail_ms` after the last voiced frame. A shorter pause of
`pause_ms` is announced with the utterance as it would end there, so transcription can start
early: if the caller then stays quiet the end comes with exactly that audio. Time is counted
in audio, not on the clock: Twilio sends a frame every 20 ms whether the caller speaks or
not, so the detector decides the same way however the frames are bunched on the network.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from channels.voice.mulaw import DECODE, RATE

SQUARES: tuple[int, ...] = tuple(sample * sample for sample in DECODE)


@dataclass(frozen=True, slots=True)
class VadConfig:
    threshold: float = 300.0  # RMS of 16-bit samples: a quiet phone line sits near 10-150
    noise_ratio: float = 3.0  # a frame must also be this many times louder than the noise
    start_ms: int = 60
    silence_ms: int = 500  # the end-of-speech window
    preroll_ms: int = 200
    tail_ms: int = 200
    pause_ms: int | None = 250  # at least tail_ms; None: no early announcement
    max_ms: int = 30_000  # an utterance longer than this is cut and handed on


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech confirmed: `start_ms` of voiced audio in a row."""


@dataclass(frozen=True, slots=True)
class SpeechPaused:
    """The caller has paused: their utterance so far, exactly as it ends if they stay quiet."""

    audio: bytes


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    """The caller has stopped: their utterance, μ-law 8 kHz."""

    audio: bytes


def rms(frame: bytes) -> float:
    """The loudness of a μ-law frame, as the RMS of its 16-bit samples."""
    return math.sqrt(sum(map(SQUARES.__getitem__, frame)) / len(frame)) if frame else 0.0


def duration_ms(audio: bytes) -> int:
    return len(audio) * 1000 // RATE


class Detector:
    """Feed it every inbound frame in order; it says when speech starts and ends."""

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self.noise = 0.0
        self.in_speech = False
        self.voiced = False  # whether the last frame fed was voiced
        self._before: deque[bytes] = deque()
        self._before_ms = 0
        self._run_ms = 0  # voiced audio in a row before speech is confirmed
        self._frames: list[bytes] = []
        self._silent_ms = 0
        self._voiced_ms = 0
        self._total_ms = 0
        self._kept = 0  # frames of the utterance up to the last voiced one plus its tail

    @property
    def speech_ms(self) -> int:
        """Voiced audio in the utterance under way (0 between utterances)."""
        return self._voiced_ms if self.in_speech else 0

    def feed(self, frame: bytes) -> SpeechStarted | SpeechPaused | SpeechEnded | None:
        config = self.config
        ms = duration_ms(frame)
        level = rms(frame)
        self.voiced = level >= max(config.threshold, self.noise * config.noise_ratio)
        if not self.in_speech:
            if not self.voiced:
                self.noise = level if self.noise == 0 else 0.95 * self.noise + 0.05 * level
            return self._listen(frame, ms)
        self._frames.append(frame)
        self._total_ms += ms
        if self.voiced:
            self._voiced_ms += ms
            self._silent_ms = 0
            self._kept = len(self._frames)
        else:
            self._silent_ms += ms
            if self._silent_ms <= config.tail_ms:
                self._kept = len(self._frames)
        if self._silent_ms >= config.silence_ms or self._total_ms >= config.max_ms:
            return self._end()
        if config.pause_ms is not None and self._silent_ms - ms < config.pause_ms <= (
                self._silent_ms):
            return SpeechPaused(b"".join(self._frames[:self._kept]))
        return None

    def _listen(self, frame: bytes, ms: int) -> SpeechStarted | None:
        self._before.append(frame)
        self._before_ms += ms
        while self._before_ms > self.config.preroll_ms + self.config.start_ms:
            self._before_ms -= duration_ms(self._before.popleft())
        self._run_ms = self._run_ms + ms if self.voiced else 0
        if self._run_ms >= self.config.start_ms:
            self.in_speech = True
            self._frames = list(self._before)
            self._total_ms = self._before_ms
            self._voiced_ms = self._run_ms
            self._silent_ms = 0
            self._kept = len(self._frames)
            self._before.clear()
            self._before_ms = 0
            self._run_ms = 0
            return SpeechStarted()
        return None

    def _end(self) -> SpeechEnded:
        ended = SpeechEnded(b"".join(self._frames[:self._kept]))
        self.in_speech = False
        self._frames = []
        return ended
