"""G.711 μ-law, the telephone network's 8 kHz audio, decoded to 16-bit linear PCM.

Decoding is a 256-entry table built once from the standard's formula (what `audioop` did
before Python 3.13 removed it). Twilio sends and takes μ-law 8 kHz; ElevenLabs
speech-to-text takes 16-bit PCM at 16 kHz with the least work on its side.
"""

from __future__ import annotations

import sys
from array import array

RATE = 8000
FRAME_BYTES = 160  # 20 ms: the size of every frame Twilio sends
SILENCE = 0xFF  # μ-law's positive zero, what a quiet line carries
_BIAS = 0x84


def _decode(code: int) -> int:
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = ((((code & 0x0F) << 3) + _BIAS) << exponent) - _BIAS
    return -magnitude if code & 0x80 else magnitude


DECODE: tuple[int, ...] = tuple(_decode(code) for code in range(256))


def decode(data: bytes) -> array[int]:
    """μ-law bytes as signed 16-bit samples."""
    return array("h", map(DECODE.__getitem__, data))


def pcm16_16k(data: bytes) -> bytes:
    """μ-law 8 kHz as little-endian 16-bit PCM at 16 kHz: each sample kept, with the
    midpoint to the next one between (linear interpolation; 8 kHz speech has nothing above
    4 kHz to lose)."""
    samples = decode(data)
    if not samples:
        return b""
    following = samples[1:]
    following.append(samples[-1])
    doubled = array("h", bytes(4 * len(samples)))
    doubled[0::2] = samples
    doubled[1::2] = array("h", [(a + b) >> 1 for a, b in zip(samples, following, strict=True)])
    if sys.byteorder == "big":
        doubled.byteswap()
    return doubled.tobytes()
