"""Money amounts in a normalised message, as exact `Decimal` TTD values.

Understood: "5k", "TT$5,000", "$5000", "5,000.50", "5000 dollars", "1.5 million", "five
thousand", "two hundred and fifty", "fifteen hundred", "half a million", "5 grand", "-5".
A negative amount is returned as written; refusing it is the flow's job. Each match says
whether it is *marked* as money (a currency sign, a scale such as "k", or "dollars"): a bare
"5000" may be an amount only when the conversation makes it one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from agent.understanding.numbers import WORD_NUMBER, Found, non_overlapping, whole, words_value

_CURRENCY = r"(?:tt\s?\$|ttd\s?\$?|\$|tt(?=\s?[0-9]))"
_DIGITS = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,15}(?:\.[0-9]{1,6})?|\.[0-9]{1,6}"
_SCALE_WORDS = {
    "k": 1_000, "thousand": 1_000, "grand": 1_000, "hundred": 100,
    "m": 1_000_000, "mil": 1_000_000, "mill": 1_000_000, "million": 1_000_000,
    "mn": 1_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000,
}
_UNIT = r"(?:tt dollars?|dollars?|ttd|tt|bucks|dollas?)"
_NUMERIC = re.compile(
    rf"(?<![\w.,/\-$])(?P<sign>-\s?)?(?P<currency>{_CURRENCY})?\s?(?P<sign2>-\s?)?"
    rf"(?P<number>{_DIGITS})(?![0-9])(?:\s?(?P<scale>k|thousand|grand|hundred|mil|mill|"
    rf"million|mn|bn|billion|m)\b)?(?:\s?(?P<unit>{_UNIT})\b)?"
)
_WORDED = re.compile(
    rf"(?P<sign>\bminus\s)?(?P<currency>{_CURRENCY})?\s?(?P<words>{WORD_NUMBER})"
    rf"(?:\s(?P<unit>{_UNIT})\b)?"
)


@dataclass(frozen=True, slots=True)
class Amount:
    """One amount; `marked` when the message itself says it is money."""

    value: Decimal
    marked: bool


def _numeric(match: re.Match[str]) -> Found[Amount] | None:
    scale = match.group("scale")
    currency = match.group("currency")
    if scale == "m" and currency is None and match.group("unit") is None:
        return None  # "18m" is as likely months as millions
    number = match.group("number")
    value = Decimal(number.replace(",", ""))
    if scale is not None:
        value *= _SCALE_WORDS[scale]
    if match.group("sign") or match.group("sign2"):
        value = -value
    grouped = "," in number or re.search(r"\.[0-9]{2}$", number) is not None
    marked = bool(currency or scale or match.group("unit")) or grouped
    return Found(match.start(), match.end(), Amount(whole(value), marked))


def _worded(match: re.Match[str]) -> Found[Amount] | None:
    value = words_value(match.group("words"))
    if value is None:
        return None
    if match.group("sign"):
        value = -value
    marked = bool(match.group("currency") or match.group("unit") or abs(value) >= 100)
    start = match.start() if match.group("sign") or match.group("currency") \
        else match.start("words")
    return Found(start, match.end(), Amount(whole(value), marked))


def find_amounts(text: str) -> list[Found[Amount]]:
    """Every amount in a normalised message, in order, without overlaps."""
    found: list[Found[Amount]] = []
    for match in _NUMERIC.finditer(text):
        if (item := _numeric(match)) is not None:
            found.append(item)
    for match in _WORDED.finditer(text):
        if (item := _worded(match)) is not None:
            found.append(item)
    return non_overlapping(found)


def parse_amount(text: str) -> Decimal | None:
    """The first amount in `text` ("TT$5,000" → 5000, "half a million" → 500000), or None."""
    amounts = find_amounts(text.lower())
    return amounts[0].value.value if amounts else None
