"""The reply guard: a written reply may only state what someone else supplied.

The LLM may phrase a reply, but every number in it (amounts, rates, dates, counts) must come
from a tool result, a knowledge passage, the borrower's own words or the template the reply
replaces, and it may not promise an outcome ("approved", "waived", "refunded") that none of
those sources states. `grounded` checks both; the caller falls back to the template when it
fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in `text`, normalised ('1,234.50' and '1234.5' are one number)."""
    found: set[Decimal] = set()
    for token in _NUMBER.findall(text):
        try:
            value = Decimal(token.replace(",", ""))
        except InvalidOperation:
            continue
        found.add(value.normalize())
    return found


def _with_percentages(values: set[Decimal]) -> set[Decimal]:
    """A fraction in a tool result (0.2399) may be written as a percentage (23.99)."""
    derived = {(value * 100).normalize() for value in values if 0 < value < 1}
    return values | derived


def invented_numbers(reply: str, sources: Iterable[str]) -> set[Decimal]:
    """The numbers in `reply` that appear in none of `sources`."""
    allowed: set[Decimal] = set()
    for source in sources:
        allowed |= numbers_in(source)
    return numbers_in(reply) - _with_percentages(allowed)


CLAIMS = re.compile(
    r"\b(approv\w*|waiv\w*|refund\w*|credit(?:ed)?|cancel\w*|writ\w* off|forgiv\w*|"
    r"guarantee\w*|increas\w*|reduc\w*)\b", re.IGNORECASE)


def unsupported_claims(reply: str, sources: Iterable[str]) -> set[str]:
    """Outcome words in `reply` ("approved", "waived") that none of `sources` uses."""
    supplied = " ".join(sources).lower()
    return {claim.lower() for claim in CLAIMS.findall(reply) if claim.lower() not in supplied}


def grounded(reply: str, sources: Iterable[str]) -> bool:
    """True when every number and every promised outcome in `reply` comes from `sources`."""
    sources = list(sources)
    return not invented_numbers(reply, sources) and not unsupported_claims(reply, sources)
