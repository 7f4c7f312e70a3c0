"""SMS text: no markdown, GSM-7 or UCS-2 encoding, segments, and long replies split into
messages at word boundaries.

A message in GSM-7 fits 160 characters in one segment, 153 in each of several (the rest
carries the header that joins them); the extension characters `^ { } \\ [ ~ ] | €` and form
feed take two. One character outside GSM-7 makes the whole message UCS-2: 70 UTF-16 units
in one segment, 67 in each of several, a character beyond the BMP (an emoji) taking two. A
character never straddles two segments. Twilio takes at most 1,600 characters a message and
advises at most 10 segments, so a longer reply goes as several messages, each split at a
word boundary.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
MAX_CHARS: Final = 1_600
MAX_SEGMENTS: Final = 10

# What Twilio's smart encoding would do: look-alike punctuation that would otherwise turn a
# whole message into UCS-2, at more than twice the segments.
_LOOK_ALIKES: Final = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
    "‟": '"', "″": '"', "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "•": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "…": "...",
})


class Encoding(StrEnum):
    GSM_7 = "GSM-7"
    UCS_2 = "UCS-2"


def encoding(text: str) -> Encoding:
    allowed = GSM_BASIC | GSM_EXTENSION
    return Encoding.GSM_7 if all(char in allowed for char in text) else Encoding.UCS_2


def _units(char: str, kind: Encoding) -> int:
    if kind is Encoding.GSM_7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def segments(text: str) -> int:
    """How many SMS segments `text` takes (0 for no text)."""
    kind = encoding(text)
    single, multi = (160, 153) if kind is Encoding.GSM_7 else (70, 67)
    units = [_units(char, kind) for char in text]
    if sum(units) <= single:
        return 1 if units else 0
    count, used = 1, 0
    for size in units:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


def strip_markdown(text: str) -> str:
    """Plain text for SMS: emphasis, code, headings, quotes and rules dropped, links written
    as `text (url)`, bullets as `- `, at most one blank line in a row."""
    text = re.sub(r"(?m)^\s*```.*$\n?", "", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    text = re.sub(r"!?\[([^\]\n]*)\]\(\s*(\S+?)(?:\s+\"[^\"]*\")?\s*\)", _link, text)
    text = re.sub(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", r"\1", text)
    text = re.sub(r"(?m)^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$\n?", "", text)
    text = re.sub(r"(?m)^[ \t]*>[ \t]?", "", text)
    text = re.sub(r"(?m)^([ \t]*)[*+•][ \t]+", r"\1- ", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])", r"\1", text)
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link(match: re.Match[str]) -> str:
    label, url = match.group(1).strip(), match.group(2)
    return url if not label or label == url else f"{label} ({url})"


def sms_text(text: str) -> str:
    """What an SMS says for `text`: no markdown, look-alike punctuation made GSM-7."""
    return strip_markdown(text).translate(_LOOK_ALIKES)


def _fits(text: str, max_chars: int, max_segments: int | None) -> bool:
    return len(text) <= max_chars and (max_segments is None or segments(text) <= max_segments)


def split(text: str, *, max_chars: int = MAX_CHARS, max_segments: int | None = MAX_SEGMENTS,
          ) -> list[str]:
    """`text` as messages that each fit `max_chars` characters and `max_segments` segments
    (None: no segment limit, for WhatsApp), broken at whitespace; a word too long for one
    message is broken where it must be. Whitespace at the breaks is dropped."""
    text = text.strip()
    if _fits(text, max_chars, max_segments):
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for word in re.findall(r"\s*\S+", text):
        candidate = current + word
        if _fits(candidate, max_chars, max_segments):
            current = candidate
            continue
        if current:
            parts.append(current)
        current = word.lstrip()
        while not _fits(current, max_chars, max_segments):
            cut = _longest_prefix(current, max_chars, max_segments)
            parts.append(current[:cut])
            current = current[cut:]
    if current:
        parts.append(current)
    return parts


def _longest_prefix(word: str, max_chars: int, max_segments: int | None) -> int:
    low, high = 1, min(len(word), max_chars)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(word[:middle], max_chars, max_segments):
            low = middle
        else:
            high = middle - 1
    return low
