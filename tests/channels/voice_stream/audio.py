"""Real speech for the calls: espeak-ng says a phrase, sox makes it μ-law 8 kHz, the format a
phone call carries, and decodes it back to 16-bit PCM for the fake ElevenLabs to recognise."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

FRAME = 160  # 20 ms of μ-law 8 kHz
QUIET = 0xFF


def spoken(text: str, folder: Path) -> bytes:
    """`text` as espeak-ng says it, μ-law 8 kHz; made once per folder."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / hashlib.sha256(text.encode()).hexdigest()[:16]
    ulaw = stem.with_suffix(".ul")
    if not ulaw.exists():
        wav = stem.with_suffix(".wav")
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
        subprocess.run(["sox", str(wav), "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw",
                        str(ulaw)], check=True, capture_output=True)
    return ulaw.read_bytes()


def decoded(ulaw: bytes) -> bytes:
    """μ-law 8 kHz as little-endian 16-bit PCM, decoded by sox."""
    return subprocess.run(
        ["sox", "-t", "ul", "-r", "8000", "-c", "1", "-", "-t", "raw", "-e", "signed",
         "-b", "16", "-L", "-"], input=ulaw, check=True, capture_output=True).stdout


def noise(ms: int, folder: Path, *, volume: float = 0.02) -> bytes:
    """Hiss at `volume` of full scale, like a phone line's background, μ-law 8 kHz."""
    path = folder / f"noise-{ms}-{volume}.ul"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw",
                        str(path), "synth", f"{ms / 1000}", "whitenoise", "vol", str(volume)],
                       check=True, capture_output=True)
    return path.read_bytes()


def silence(ms: int) -> bytes:
    return bytes([QUIET]) * (ms * 8)


def frames(audio: bytes) -> list[bytes]:
    """Twilio's 20 ms frames; the last one padded with silence."""
    return [audio[at:at + FRAME].ljust(FRAME, bytes([QUIET])) for at in range(0, len(audio),
                                                                               FRAME)]
