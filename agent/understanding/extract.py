"""Every value a message carries, found once, and the message with each value masked.

Parsers run in an order that keeps them from reading each other's digits: e-mail and
references first, then phone numbers, dates, terms and last amounts, each blanking what it
took. The masked text (a placeholder word such as "qamount" for each value) is what the
intent classifier reads, so "borrow 5k" and "borrow TT$7,500" look the same to it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from agent.understanding import identifiers
from agent.understanding.amounts import Amount, find_amounts
from agent.understanding.dates import (
    find_dates,
    keyed_date_of_birth,
    parse_date_of_birth,
    spoken_date,
)
from agent.understanding.numbers import Found, blank, whole
from agent.understanding.products import find_method, find_product
from agent.understanding.terms import find_terms

_PAST = re.compile(r"\b(?:paid|sent|made|did|deposited|transferred|was|were|last|ago|gone|"
                   r"had|received|already)\b")
_BIRTH = re.compile(r"\b(?:born|birth|birthday|dob|d\.o\.b)\b")
_INCOME_BEFORE = re.compile(
    r"(?:\b(?:i|we|he|she|they) (?:am |are |is )?(?:make|makes|making|earn|earns|earning|take "
    r"home|takes home|bring home|brings home|get paid|gets paid|am paid|gross|net)|\b(?:salary|"
    r"income|wages?|pay is|paycheck|paycheque|earnings))\b[^0-9$]{0,20}$"
)
_PERIOD_AFTER = re.compile(
    r"^ ?(?:(?:a|per|every|each) )?(?P<period>month|week|fortnight|two weeks|year|annum)\b|"
    r"^ ?(?P<adverb>monthly|weekly|fortnightly|bi-?weekly|yearly|annually)\b"
)
_PER_MONTH = {"week": Decimal(52) / 12, "fortnight": Decimal(26) / 12,
              "two weeks": Decimal(26) / 12, "year": Decimal(1) / 12, "annum": Decimal(1) / 12}
_ADVERB = {"weekly": "week", "fortnightly": "fortnight", "biweekly": "fortnight",
           "bi-weekly": "fortnight", "yearly": "year", "annually": "year"}
_EMPLOYER = re.compile(
    r"\b(?:i work(?:s)? (?:at|for|with|by)|i am employed (?:at|by|with)|i'm employed "
    r"(?:at|by|with)|employed (?:at|by|with)|my employer is|i am with|i'm with|working (?:at|for)|"
    r"my job is (?:at|with))\s+(?P<name>[^,.;!?\n]{2,60})", re.IGNORECASE)
_EMPLOYER_END = re.compile(
    r"\s+(?:as|since|for|and|but|earning|making|where|doing|from|in|on|fulltime|full time|"
    r"part time)\b.*$", re.IGNORECASE)
_CENT = Decimal("0.01")
_CONTEXT = 40  # characters before an amount that can say it is an income
_BIRTH_YEARS_AGO = 16  # a date this far back is a birthday, not a payment


@dataclass(frozen=True, slots=True)
class Mentions:
    """What one message carries; `masked` is the message with values as placeholder words.

    `income` is an amount the message calls income ("I make 8k a month"); `stated_income` is
    the first amount read as an income per month, for when income is what was asked.
    """

    masked: str
    amounts: tuple[Amount, ...] = ()
    income: Decimal | None = None
    stated_income: Decimal | None = None
    terms: tuple[int, ...] = ()
    dates: tuple[dt.date, ...] = ()
    named_time: bool = False
    date_of_birth: dt.date | None = None
    email: str | None = None
    phones: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    reference: str | None = None
    product: str | None = None
    method: str | None = None
    id_digits: str | None = None
    employer: str | None = None
    placeholders: frozenset[str] = field(default_factory=frozenset)


def find_employer(original: str) -> str | None:
    """The employer named after "I work at", "employed by", "my employer is", as written."""
    match = _EMPLOYER.search(original)
    if match is None:
        return None
    name = _EMPLOYER_END.sub("", match.group("name")).strip(" '\"")
    return name or None


def monthly(value: Decimal, period: str | None) -> Decimal:
    """An income per `period` ("week", "fortnight", "year") as an income per month."""
    if period is None or period == "month":
        return value
    return whole((value * _PER_MONTH[period]).quantize(_CENT, rounding=ROUND_HALF_UP))


def _income(text: str, found: Found[Amount]) -> Decimal | None:
    if not _INCOME_BEFORE.search(text[max(0, found.start - _CONTEXT): found.start]):
        return None
    return monthly(found.value.value, income_period(text[found.end:]))


def income_period(after: str) -> str | None:
    """The period an income is quoted per ("a week", "fortnightly"), from the text after it."""
    match = _PERIOD_AFTER.match(after)
    if match is None:
        return None
    return match.group("period") or _ADVERB.get(match.group("adverb"))


def extract(text: str, original: str, *, today: dt.date, birth: bool = False,
            past: bool = False) -> Mentions:
    """Every value in the normalised `text`; `original` keeps the case of e-mail and references.

    `birth` says a date of birth was asked for, so a full date (spoken or keyed too) is one;
    `past` says a date gone by was asked for, so "Friday" is the last one.
    """
    spans: list[tuple[int, int, str]] = []
    birth = birth or _BIRTH.search(text) is not None
    if birth:
        text = spoken_date(text)

    def take(found: list[Found[str]], word: str) -> None:
        nonlocal text
        spans.extend((item.start, item.end, word) for item in found)
        text = blank(text, found)

    emails = [Found(m.start(), m.end(), m.group(0)) for m in identifiers.EMAIL.finditer(text)]
    take(emails, "qemail")
    references = [Found(m.start("ref"), m.end("ref"), m.group("ref"))
                  for m in identifiers.REFERENCE.finditer(text)]
    take(references, "qref")
    id_digits = identifiers.find_id_digits(text)
    take([id_digits] if id_digits else [], "qid")
    phones = identifiers.find_phones(text)
    take(phones, "qphone")
    date_of_birth = _date_of_birth(text, today) if birth else None
    dates = find_dates(text, today=today, past=past or _PAST.search(text) is not None)
    take([Found(d.start, d.end, "") for d in dates], "qdate")
    terms = find_terms(text)
    take([Found(t.start, t.end, "") for t in terms], "qterm")
    codes = identifiers.find_codes(text)
    amounts = find_amounts(text)
    income = next((value for item in amounts if (value := _income(text, item)) is not None), None)
    stated_income = monthly(amounts[0].value.value, income_period(text[amounts[0].end:])) \
        if amounts else None
    spans.extend((a.start, a.end, "qamount" if a.value.marked else "qnumber") for a in amounts)
    resolved = [d.value for d in dates if d.value is not None]
    if date_of_birth is None and resolved and resolved[0].year < today.year - _BIRTH_YEARS_AGO:
        date_of_birth = resolved[0]
    if date_of_birth is not None:  # the same day, perhaps read with another century
        resolved = [d for d in resolved
                    if (d.month, d.day) != (date_of_birth.month, date_of_birth.day)]
    masked, placeholders = _masked(text, spans)
    return Mentions(
        masked=masked,
        amounts=tuple(a.value for a in amounts),
        income=income,
        stated_income=stated_income,
        terms=tuple(t.value for t in terms if t.value is not None),
        dates=tuple(resolved),
        named_time=any(d.value is None for d in dates),
        date_of_birth=date_of_birth,
        email=identifiers.find_email(original) or (emails[0].value if emails else None),
        phones=tuple(p.value for p in phones),
        codes=tuple(c.value for c in codes),
        reference=identifiers.find_reference(original),
        product=find_product(text),
        method=find_method(text),
        id_digits=id_digits.value if id_digits else None,
        employer=find_employer(original),
        placeholders=placeholders,
    )


def _date_of_birth(text: str, today: dt.date) -> dt.date | None:
    """Written or spoken in full, or keyed as DDMMYYYY digits (typed, or read out one by one)."""
    return (parse_date_of_birth(text, today=today)
            or keyed_date_of_birth(identifiers.spoken_digits(text) or text, today=today))


def _masked(blanked: str, spans: list[tuple[int, int, str]]) -> tuple[str, frozenset[str]]:
    out: list[str] = []
    position = 0
    for start, end, word in sorted(spans):
        if start < position:
            continue
        out.append(blanked[position:start])
        out.append(f" {word} ")
        position = end
    out.append(blanked[position:])
    return " ".join("".join(out).split()), frozenset(word for _, _, word in spans)
