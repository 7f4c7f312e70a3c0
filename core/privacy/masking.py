"""Keep identity and account numbers out of records that do not need them.

- The audit trail stores `[masked]` for values under a sensitive key (`mask_sensitive`),
  so a tool call's arguments can be audited without the ID digits the borrower gave.
- A transcript keeps the borrower's words but not the ID digits they answered a
  verification question with (`redact_verification_answers`).
- Bank statement descriptions keep only the last four digits of long numbers
  (`mask_account_numbers`): "TRANSFER TO 001234567" becomes "TRANSFER TO *****4567".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

MASK: Final = "[masked]"
DIGITS_MASK: Final = "••••"
SENSITIVE_KEYS: Final = frozenset({
    "id_digits", "national_id", "document_number", "account_number", "iban", "card_number",
})
"""Keys whose values the audit trail never stores, wherever they appear in a record."""
VERIFICATION_TOOLS: Final = frozenset({"verify_date_of_birth"})
_LONG_NUMBER: Final = re.compile(r"\d(?:[ -]?\d){5,}")
_DIGIT_WORD: Final = r"[A-Za-z0-9]*\d[A-Za-z0-9]*"
_DIGIT_WORDS: Final = re.compile(rf"{_DIGIT_WORD}(?:[ -]{_DIGIT_WORD})*")


def mask_sensitive(value: Any) -> Any:
    """`value` with every non-empty value under a `SENSITIVE_KEYS` key replaced by `MASK`,
    at any depth of nested mappings and lists."""
    if isinstance(value, Mapping):
        return {key: MASK if key in SENSITIVE_KEYS and item not in (None, "")
                else mask_sensitive(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_sensitive(item) for item in value]
    return value


def redact_verification_answers(body: str, tool_calls: Iterable[Mapping[str, Any]]) -> str:
    """`body` without the ID digits this turn's verification calls were given.

    Every group of digit-bearing words (spaces or hyphens between them allowed) that holds
    what a `VERIFICATION_TOOLS` call was given is replaced whole, matched or not: a
    borrower who types their full ID when asked for its last four loses all of it from
    the transcript. The rest of the message stays.
    """
    given = [_alnum(str(call.get("args", {}).get("id_digits") or "")) for call in tool_calls
             if call.get("name") in VERIFICATION_TOOLS]
    wanted = [digits for digits in given if digits]
    if not wanted:
        return body

    def redacted(found: re.Match[str]) -> str:
        run = _alnum(found.group())
        return DIGITS_MASK if any(digits in run for digits in wanted) else found.group()

    return _DIGIT_WORDS.sub(redacted, body)


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum()).upper()


def mask_account_numbers(text: str) -> str:
    """`text` with each run of six or more digits (spaces and hyphens allowed between them)
    shown as asterisks and its last four digits."""
    def masked(found: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", found.group())
        return "*" * (len(digits) - 4) + digits[-4:]

    return _LONG_NUMBER.sub(masked, text)
