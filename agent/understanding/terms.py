"""Loan terms in a message, in whole months.

"18 months", "12 mths", "an 18-month loan", "2 years", "two yrs", "a year and a half",
"two and a half years", "half a year", "1 year 6 months" are terms. Weeks and days are
durations but not terms in months: they are found (so that their number is not taken for an
amount) with no value. "500 months" is 500: refusing it is the flow's job. "a month" right
after an amount ("8k a month") is a rate, not a term.
"""

from __future__ import annotations

import re
from decimal import Decimal

from agent.understanding.numbers import WORD_NUMBER, Found, non_overlapping, words_value

_MONTHS = {"month", "months", "mo", "mos", "mth", "mths", "mnth", "mnths"}
_YEARS = {"year", "years", "yr", "yrs"}
_TERM = re.compile(
    rf"(?<![\w.,$/\-])(?:(?P<digits>[0-9]{{1,5}}(?:\.[0-9]{{1,3}})?)|(?P<words>{WORD_NUMBER}))"
    r"\s?-?\s?(?P<unit>months?|mos?|mths?|mnths?|years?|yrs?|yr|weeks?|wks?|days?|"
    r"fortnights?)\b(?P<half>\s(?:and\s)?a\shalf)?(?!\s?ago\b)"
)
_RATE_BEFORE = re.compile(r"(?:[0-9]k?|thousand|grand|million|hundred|dollars?|ttd|tt|bucks)\s*$")
_JOIN = re.compile(r"^\s*(?:,|and|,\s*and)?\s*$")
_HALF = Decimal("0.5")
_CONTEXT = 20  # characters before "a month" that can make it a rate


def _count(match: re.Match[str]) -> Decimal | None:
    if match.group("digits") is not None:
        return Decimal(match.group("digits"))
    words = match.group("words").replace("-", " ").split()
    if words in (["a"], ["an"]):
        return Decimal(1)
    if words in (["half"], ["half", "a"], ["half", "an"]):
        return _HALF
    return words_value(" ".join(words))


def _months(match: re.Match[str], count: Decimal) -> int | None:
    unit = match.group("unit")
    if match.group("half"):
        count += _HALF
    if unit in _MONTHS:
        months = count
    elif unit in _YEARS:
        months = count * 12
    else:
        return None
    return int(months) if months == months.to_integral_value() and months >= 0 else None


def find_terms(text: str) -> list[Found[int | None]]:
    """Every duration in a normalised message: months for terms, None for weeks or days."""
    found: list[Found[int | None]] = []
    years: set[int] = set()
    for match in _TERM.finditer(text):
        count = _count(match)
        if count is None:
            continue
        before = text[max(0, match.start() - _CONTEXT): match.start()]
        if match.group("words") in {"a", "an"} and _RATE_BEFORE.search(before):
            continue
        found.append(Found(match.start(), match.end(), _months(match, count)))
        if match.group("unit") in _YEARS:
            years.add(match.start())
    out: list[Found[int | None]] = []
    for item in non_overlapping(found):
        previous = out[-1] if out else None
        if (previous is not None and previous.start in years and item.start not in years
                and previous.value is not None and item.value is not None
                and _JOIN.match(text[previous.end:item.start])):
            out[-1] = Found(previous.start, item.end, previous.value + item.value)
        else:
            out.append(item)
    return out


def parse_term_months(text: str) -> int | None:
    """The first term in `text` in months ("a year and a half" → 18), or None."""
    for item in find_terms(text.lower()):
        if item.value is not None:
            return item.value
    return None
