"""μ-law decoding against sox, the reference the telephone audio in these tests comes from."""

from __future__ import annotations

import sys
from array import array

from channels.voice.mulaw import DECODE, decode, pcm16_16k
from tests.channels.voice_stream.audio import decoded


def samples(pcm: bytes) -> list[int]:
    values = array("h", pcm)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def test_every_code_decodes_as_sox_decodes_it() -> None:
    assert list(DECODE) == samples(decoded(bytes(range(256))))
    assert DECODE[0xFF] == DECODE[0x7F] == 0  # the two zeros
    assert (DECODE[0x00], DECODE[0x80]) == (-32124, 32124)  # the loudest


def test_16khz_keeps_every_sample_and_puts_the_midpoint_between() -> None:
    audio = bytes([0x80, 0xFF, 0x00, 0x9A])
    original = decode(audio).tolist()
    doubled = samples(pcm16_16k(audio))
    assert doubled[0::2] == original
    assert doubled[1::2] == [(original[0] + original[1]) >> 1,
                             (original[1] + original[2]) >> 1,
                             (original[2] + original[3]) >> 1, original[3]]
    assert pcm16_16k(b"") == b""
