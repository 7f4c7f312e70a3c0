"""From the values a message carries to the slots of one intent, and to what was asked.

`slots_for` fills what an intent can use; `answer_to` reads a message as the answer to the
question the agent just asked (`expecting`): a bare "5000" is an amount when an amount was
asked for and a term when a term was, "Massy Stores" is an employer only when an employer was.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from agent.understanding import identifiers
from agent.understanding.extract import Mentions
from agent.understanding.model import Intent, Slots
from agent.understanding.phrasing import polarity

MONEY_INTENTS = frozenset({
    Intent.APPLY, Intent.PREQUALIFY, Intent.MAKE_PAYMENT, Intent.PROMISE_TO_PAY,
    Intent.SETTLEMENT, Intent.INFORM, Intent.CORRECTION, Intent.HARDSHIP,
})
_METHOD_INTENTS = frozenset({Intent.MAKE_PAYMENT, Intent.INFORM, Intent.CORRECTION})
_TERM_CUE = re.compile(r"\b(?:term|months?|years?|period|duration|long)\b")
_AMOUNT_CUE = re.compile(r"\b(?:amount|borrow|loan amount|money|dollars|pay)\b|\$")
_EMPLOYMENT = re.compile(
    r"^(?:i am |i )?(?:(?P<self>self[ \-]?employed|work for myself|own (?:my own )?business|"
    r"my own business|have my own business)|unemployed|not working|do not work|have no job|"
    r"do not have a job|no job|jobless|retired|(?:a )?student|(?:a )?housewife|(?:a )?pensioner|"
    r"between jobs)[.! ]*$"
)
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_MASH_LENGTH = 4
_NAME_WORDS = re.compile(r"\b(?:i|me|my|you|your|we|our|what|how|when|where|why|who)\b")
_MAX_EMPLOYER_WORDS = 8
_SLOT = {"paid_date": "date"}  # what was asked, when its slot has another name


def _amounts(mentions: Mentions, bare: bool) -> list[Decimal]:
    return [a.value for a in mentions.amounts if a.marked or bare]


def slots_for(intent: Intent, mentions: Mentions, text: str, *, expecting: str | None,
              original: str, bare: bool | None = None) -> dict[str, Any]:
    """The slots a message fills for `intent`, from what it carries.

    A bare number ("500") is an amount only for intents about money, unless `bare` says.
    """
    found: dict[str, Any] = {}
    bare = intent in MONEY_INTENTS if bare is None else bare
    amounts = [a for a in _amounts(mentions, bare) if a != mentions.income]
    term = mentions.terms[0] if mentions.terms else None
    first = mentions.amounts[0] if mentions.amounts else None
    if (intent == Intent.CORRECTION and term is None and first is not None and not first.marked
            and amounts and amounts[0] == first.value == first.value.to_integral_value()
            and (expecting == "term_months"
                 or (_TERM_CUE.search(text) and not _AMOUNT_CUE.search(text)))):
        term, amounts = int(first.value), amounts[1:]  # "change the term to 24"
    if intent == Intent.PROVIDE_CODE:
        amounts = []
    found["amount"] = amounts[0] if amounts else None
    found["income"] = mentions.income
    found["term_months"] = term
    found["date"] = mentions.dates[0] if mentions.dates else None
    found["date_of_birth"] = mentions.date_of_birth
    found["product"] = mentions.product
    found["email"] = mentions.email
    found["phone"] = mentions.phones[0] if mentions.phones else None
    found["id_digits"] = mentions.id_digits
    found["reference"] = mentions.reference
    found["employer"] = mentions.employer
    found["method"] = mentions.method if intent in _METHOD_INTENTS else None
    if intent == Intent.QUESTION:
        found["question"] = text.strip()  # de-creoled: the knowledge base reads standard English
    return {name: value for name, value in found.items() if value is not None}


def _mash(word: str) -> bool:
    """Keys struck along one row of the keyboard ("asdfgh", "qwerty"): no one's employer."""
    return len(word) >= _MASH_LENGTH and any(set(word) <= set(row) for row in _ROWS)


def is_mash(text: str) -> bool:
    """Every word of a normalised message struck along one keyboard row: noise, not words."""
    words = text.split()
    return bool(words) and all(_mash(word) for word in words)


def _employer(text: str, original: str) -> str | None:
    status = _EMPLOYMENT.match(text)
    if status is not None:
        return "self-employed" if status.group("self") else original.strip(" .!")
    words = text.split()
    if (not words or len(words) > _MAX_EMPLOYER_WORDS or _NAME_WORDS.search(text)
            or polarity(text) is not None or is_mash(text)):
        return None
    return original.strip(" .!'\"") or None


def answer_to(expecting: str, mentions: Mentions, text: str, original: str) -> dict[str, Any]:
    """The slot a message fills as an answer to `expecting`, or nothing when it is no answer."""
    bare = _amounts(mentions, bare=True)
    value: Any = None
    if expecting == "amount":
        value = bare[0] if bare else None
    elif expecting == "income":
        value = mentions.income or mentions.stated_income
    elif expecting == "term_months":
        whole_numbers = [int(a) for a in bare if a == int(a) and 0 < a < 1000]
        if mentions.terms:
            value = mentions.terms[0]
        elif whole_numbers and not any(a.marked for a in mentions.amounts):
            value = whole_numbers[0]
    elif expecting == "product":
        value = mentions.product
    elif expecting == "employer":
        value = mentions.employer or _employer(text, original)
    elif expecting in {"date", "paid_date"}:
        value = mentions.dates[0] if mentions.dates else None
    elif expecting == "code":
        value = identifiers.spaced_code(text) or (mentions.codes[0] if mentions.codes else None)
    elif expecting == "email":
        value = mentions.email
    elif expecting == "phone":
        value = mentions.phones[0] if mentions.phones else identifiers.bare_phone(text)
    elif expecting == "date_of_birth":
        value = mentions.date_of_birth
    elif expecting == "id_digits":
        value = mentions.id_digits or identifiers.bare_id_digits(text)
    elif expecting == "method":
        value = mentions.method
    elif expecting == "reference":
        value = mentions.reference or identifiers.bare_reference(original)
    elif expecting == "choice":
        value = identifiers.find_choice(text)
    if value is None:
        return {}
    return {_SLOT.get(expecting, expecting): value}


def to_slots(values: dict[str, Any]) -> Slots:
    """Slots from a dict of values, dropping those that are None."""
    return Slots(**{name: value for name, value in values.items() if value is not None})
