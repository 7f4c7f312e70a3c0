"""Personal data masked out of log text: phone numbers, identity numbers, dates of birth,
e-mail addresses. `mask(text)` is pure; `logs.MaskingFilter` applies it to every record.

What is masked (docs/operations.md has the table with examples):
- phone numbers: E.164 with or without separators ("+1 868-555-0101", "whatsapp:+1868…"),
  Trinidad and Tobago numbers without "+" ("18685550101", "(868) 555-0101") and North
  American "555-0101" or "868-555-0101" shapes; the last 4 digits stay;
- identity numbers: the national ID's 11 digits (birth date and 3 digits, "19850314007")
  anywhere, and any document number of 5 to 20 letters and digits after "national ID",
  "ID number", "passport", "permit" or "identification"; the last 2 characters stay;
- dates of birth: any date after "born", "birthday", "date of birth" or "DOB", and any date
  at least `ADULT_YEARS` years ago (ISO, d/m/Y with / - or ., "14 March 1985", "March 14,
  1985", Python's `date(1985, 3, 14)`): no instalment is due that long ago, every borrower
  was born before. Dates since then (due dates, payment dates) stay;
- e-mail addresses: all but the first letter and the top-level domain.

Amounts ("1,500.00", "TTD 12,000"), percentages, recent and future dates, record ids and
provider ids (SM…, CA…) are left as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections.abc import Callable
from typing import Final

ADULT_YEARS: Final = 16  # younger than any borrower, older than any instalment's due date
HIDDEN: Final = "*"
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_MONTH = rf"(?:{_MONTHS})\.?"
_DATE = (
    r"(?<![\w*])(?:(?P<iso_y>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
    r"|(?P<dmy_d>\d{1,2})[/.-](?P<dmy_m>\d{1,2})[/.-](?P<dmy_y>\d{4})"
    rf"|(?P<dm_d>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH},? (?P<dm_y>\d{{4}})"
    rf"|{_MONTH} (?P<md_d>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<md_y>\d{{4}})"
    r"|date\((?P<py_y>\d{4}), (?P<py_m>\d{1,2}), (?P<py_d>\d{1,2})\))(?![\d*])"
)
_BIRTH = (r"\b(?:born(?: on)?|birth ?date|date of birth|birthday|d\.?o\.?b\.?)(?![a-z])"
          r"\W{0,3}(?:is |was |on )?")

EMAIL: Final = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,})\b")
E164: Final = re.compile(  # "%2B" is "+" in a query string (a socket's ?caller=)
    r"(?<![\w+*])((?:whatsapp(?::|%3A))?(?:\+|%2B))(\d[\d ().-]{5,18}\d)(?![\d*])", re.I)
_LOCAL_PHONE = (r"(?<![\w+*.,/-])(?:1?868[ .-]?\d{3}[ .-]?\d{4}|1?\(868\) ?\d{3}[ .-]?\d{4}"
                r"|(?:\(\d{3}\) ?|\d{3}[ .-])?\d{3}-\d{4})(?![\w*-])")
KEYED_ID: Final = re.compile(
    r"\b(?:national id|id card|id number|id no\.?|identification|passport|(?:driver'?s )?"
    r"permit)(?: number| no\.?| #)?(?: is| was)?[: #=]*"
    r"(?P<value>(?:[A-Z]{1,3}[ -])?[A-Z]*\d[A-Z0-9]*(?:[ -][A-Z]*\d[A-Z0-9]*)*)(?![\w*])", re.I)
_NATIONAL_ID = r"(?<![\w*])(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\w*])"
KEYED_DATE: Final = re.compile(rf"({_BIRTH})(?P<date>{_DATE})", re.I)
# National IDs, local phone numbers and old dates in one pass (most lines have digits).
NUMBERS: Final = re.compile(
    rf"(?P<national_id>{_NATIONAL_ID})|(?P<phone>{_LOCAL_PHONE})|(?P<date>{_DATE})", re.I)
_MONTH_WORD: Final = re.compile(_MONTH, re.I)
_CLUES: Final = re.compile(r"[0-9@]")
_DIGIT_RUN: Final = re.compile(r"\d{4}")  # a national ID, local number and year all have one
_BIRTH_WORDS: Final = ("born", "birth", "dob", "d.o.b")
_ID_WORDS: Final = ("national id", "id card", "id number", "id no", "identification",
                    "passport", "permit")


def _keep_last(text: str, keep: int) -> str:
    """`text` with every letter and digit but the last `keep` hidden, separators kept."""
    seen, out = 0, []
    for char in reversed(text):
        if char.isalnum():
            seen += 1
            out.append(char if seen <= keep else HIDDEN)
        else:
            out.append(char)
    return "".join(reversed(out))


def _phone(match: re.Match[str]) -> str:
    prefix, number = match.group(1), match.group(2)
    digits = sum(char.isdigit() for char in number)
    if digits < 8 or re.search(r"\.\d{2}$", number):  # "+1500.00" is an amount
        return match.group(0)
    return prefix + _keep_last(number, 4)


def _email(match: re.Match[str]) -> str:
    return f"{match.group(1)}{HIDDEN * 3}@{HIDDEN * 3}.{match.group(2)}"


def _keyed_id(match: re.Match[str]) -> str:
    value = match.group("value")
    if sum(char.isalnum() for char in value) < 5:
        return match.group(0)
    start = match.start("value") - match.start()
    return match.group(0)[:start] + _keep_last(value, 2)


def _hide_date(text: str) -> str:
    return re.sub(r"\d", HIDDEN, _MONTH_WORD.sub(HIDDEN * 3, text))


def _year(match: re.Match[str]) -> int:
    for name in ("iso_y", "dmy_y", "dm_y", "md_y", "py_y"):
        if match.group(name):
            return int(match.group(name))
    raise AssertionError("a date without a year")


def _keyed_date(match: re.Match[str]) -> str:
    return match.group(1) + _hide_date(match.group("date"))


def _numbers(latest_birth_year: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        if match.group("national_id"):
            return _keep_last(match.group(0), 2)
        if match.group("phone"):
            return _keep_last(match.group(0), 4)
        if 1900 <= _year(match) <= latest_birth_year:
            return _hide_date(match.group(0))
        return match.group(0)
    return replace


@functools.lru_cache(maxsize=1)
def _latest_birth_year(day: int) -> int:
    """The latest year an `ADULT_YEARS`-old was born in, as of `day` (days since 1970)."""
    return dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + day).year - ADULT_YEARS


def mask(text: str, *, today: dt.date | None = None) -> str:
    """`text` with personal data masked (see the module's docstring for what and how)."""
    if not _CLUES.search(text):
        return text
    # Each pattern runs only where its cheap clue is present: most lines have none.
    if "@" in text:
        text = EMAIL.sub(_email, text)
    lower = text.lower()
    if any(word in lower for word in _BIRTH_WORDS):
        text = KEYED_DATE.sub(_keyed_date, text)
    if any(word in lower for word in _ID_WORDS):
        text = KEYED_ID.sub(_keyed_id, text)
    if "+" in text or "%2b" in lower:
        text = E164.sub(_phone, text)
    if not _DIGIT_RUN.search(text):
        return text
    latest = (today.year - ADULT_YEARS if today is not None
              else _latest_birth_year(int(time.time() // 86_400)))
    return NUMBERS.sub(_numbers(latest), text)
