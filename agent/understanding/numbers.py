"""Numbers written in words, and choosing among overlapping matches in a message.

`words_value("two hundred and fifty")` is 250, `words_value("fifteen hundred")` 1500,
`words_value("half a million")` 500000; a run of words that is not one number ("five five",
"nineteen ninety", "a") is None. Values are `Decimal`, never float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"thousand": 1_000, "grand": 1_000, "million": 1_000_000, "mil": 1_000_000}
_HALF = Decimal("0.5")

_WORDS = sorted([*_SMALL, *_TENS, *_SCALES, "hundred", "half", "and", "a", "an"],
                key=len, reverse=True)
WORD_NUMBER = r"\b(?:{w})(?:[\s-]+(?:{w}))*\b".format(w="|".join(_WORDS))
"""A run of number words; check it with `words_value`, which refuses runs that are no number."""


def _tokens(phrase: str) -> list[str]:
    words = phrase.replace("-", " ").split()
    while words and words[0] == "and":
        words.pop(0)
    while words and words[-1] in {"and", "a", "an"}:
        words.pop()
    out: list[str] = []
    for index, word in enumerate(words):
        after = words[index + 1] if index + 1 < len(words) else ""
        if word not in {"a", "an"}:
            out.append(word)
        elif out and out[-1] in {"half", "and"}:
            continue  # "half a million", "two and a half"
        elif after in _SCALES or after == "hundred":
            out.append("one")
        else:
            return []
    return out


def words_value(phrase: str) -> Decimal | None:
    """The number a run of number words spells, or None when it spells none."""
    tokens = _tokens(phrase)
    if not tokens or tokens == ["half"]:
        return None
    total, current, last = Decimal(0), Decimal(0), ""
    for token in tokens:
        if token in _SMALL or token in _TENS:
            value = _SMALL.get(token) or _TENS.get(token) or 0
            if last in {"small", "half", "and_half"} or (last == "tens" and value >= 10):
                return None
            current += Decimal(value)
            last = "tens" if token in _TENS else "small"
        elif token == "hundred":
            if last in {"hundred", "and", "and_half", "half"}:
                return None
            current, last = (current or Decimal(1)) * 100, "hundred"
        elif token in _SCALES:
            if last in {"scale", "and", "and_half"}:
                return None
            total += (current or Decimal(1)) * _SCALES[token]
            current, last = Decimal(0), "scale"
        elif token == "half":
            if last not in {"", "and_half"}:
                return None
            current, last = current + _HALF, "half"
        elif token == "and" and last in {"small", "tens"}:
            last = "and_half"
        elif token == "and" and last in {"hundred", "scale"}:
            last = "and"
        else:
            return None
    return None if last in {"and", "and_half"} else total + current


def whole(value: Decimal) -> Decimal:
    """`value` without a trailing ".0" when it is a whole number (1500000, not 1500000.0)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    """A value found at `text[start:end]`."""

    start: int
    end: int
    value: T


def non_overlapping(found: Iterable[Found[T]]) -> list[Found[T]]:
    """The earliest, then longest, matches, with any match that overlaps a kept one dropped."""
    kept: list[Found[T]] = []
    for item in sorted(found, key=lambda f: (f.start, f.start - f.end)):
        if not kept or item.start >= kept[-1].end:
            kept.append(item)
    return kept


def blank(text: str, spans: Iterable[Found[T]]) -> str:
    """`text` with each span replaced by spaces, so later parsers cannot see it again."""
    chars = list(text)
    for span in spans:
        chars[span.start:span.end] = " " * (span.end - span.start)
    return "".join(chars)
