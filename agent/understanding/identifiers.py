"""Codes, contact details, references and menu choices in a message.

Patterns for what a borrower types to identify something: a six-digit one-time code, an
e-mail address, a phone number (Trinidad and Tobago numbers are +1 868 and seven digits), a
payment reference ("ref ABC123"), digits of a national ID, and the number of an option picked
from a list ("2", "option 2", "the second one").
"""

from __future__ import annotations

import re

from agent.understanding.numbers import Found

EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
                   r"\.[A-Za-z]{2,}\b")
REFERENCE = re.compile(
    r"\b(?:ref(?:erence)?|receipt|confirmation|transaction|txn)(?: ?(?:no\.?|number|num|#|id|"
    r"code))?(?: is)?(?: ?[:#])? ?(?P<ref>(?=[A-Za-z\-/]*[0-9])[A-Za-z0-9][A-Za-z0-9\-/]{2,29})\b",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w+$])(?:\+ ?1[ .\-]?)?\(?868\)?[ .\-]?[0-9]{3}[ .\-]?[0-9]{4}(?![0-9])"
    r"|(?<![\w+$.,])[0-9]{3}[ .\-][0-9]{4}(?![0-9])"
    r"|(?<![\w+])\+[0-9][0-9 .\-()]{6,18}[0-9](?![0-9])"
)
_CODE = re.compile(r"(?<![\w$.,\-/])[0-9]{6}(?![\w.,%/\-]|\s?(?:dollars|k\b|ttd|tt\b))")
_SPACED_DIGITS = re.compile(r"^[^0-9]*?([0-9](?:[ \-]?[0-9]){3,7})[^0-9]*$")
_ID = re.compile(
    r"\b(?:national id|id card|id number|id no|id|identification)(?: number| no| card)?"
    r"(?: is| ends with| ending in| ending with)?[: ]*(?P<digits>[0-9][0-9 \-]{1,20}[0-9])\b"
)
_DIGIT_RUN = re.compile(r"[0-9]+")
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8,
    "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10,
}
_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}
_CHOICE = re.compile(
    r"^(?:(?:i (?:will )?(?:take|choose|pick|want|go with)|let me (?:take|get|have)|give me) )?"
    r"(?:the )?(?:(?:option|number|choice|no\.?|#) ?)?(?P<pick>[0-9]{1,2}|"
    rf"{'|'.join(_ORDINALS)}|{'|'.join(_CARDINALS)})(?: one| option| choice)?(?: please)?[.!]?$"
)


def find_email(original: str) -> str | None:
    """The first e-mail address, as written."""
    match = EMAIL.search(original)
    return match.group(0) if match else None


def find_reference(original: str) -> str | None:
    """A payment reference quoted after "ref", "receipt" or "confirmation", as written."""
    match = REFERENCE.search(original)
    return match.group("ref") if match else None


def bare_reference(original: str) -> str | None:
    """A message that is only a reference ("ABC123", "TX-99812"), when one was asked for."""
    token = original.strip().strip(".!").removeprefix("#")
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-/]{2,29}", token) and re.search(r"[0-9]", token):
        return token
    return None


def find_phones(text: str) -> list[Found[str]]:
    """Phone numbers, as written."""
    return [Found(m.start(), m.end(), m.group(0).strip()) for m in _PHONE.finditer(text)]


def bare_phone(text: str) -> str | None:
    """Any 7 to 15 digits, when a phone number was asked for."""
    match = re.search(r"\+?[0-9][0-9 .\-()]{5,20}[0-9]", text)
    if match is None:
        return None
    digits = sum(char.isdigit() for char in match.group(0))
    return match.group(0).strip() if 7 <= digits <= 15 else None


def find_codes(text: str) -> list[Found[str]]:
    """Six-digit runs that stand alone and are not marked as money."""
    return [Found(m.start(), m.end(), m.group(0)) for m in _CODE.finditer(text)]


def spaced_code(text: str) -> str | None:
    """Four to eight digits, however spaced ("123 456", "1-2-3-4-5-6"), and nothing else."""
    spoken = spoken_digits(text)
    if spoken is not None and 4 <= len(spoken) <= 8:
        return spoken
    match = _SPACED_DIGITS.match(text)
    if match is None or len(_DIGIT_RUN.findall(text)) > 8:
        return None
    return "".join(_DIGIT_RUN.findall(match.group(1)))


def find_id_digits(text: str) -> Found[str] | None:
    """Digits quoted as an ID number ("my id is 19850312001"), where they are."""
    match = _ID.search(text)
    if match is None:
        return None
    digits = "".join(_DIGIT_RUN.findall(match.group("digits")))
    return Found(match.start("digits"), match.end("digits"), digits)


_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2",
                "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
                "nine": "9"}
_REPEATS = {"double": 2, "triple": 3}


def spoken_digits(text: str) -> str | None:
    """A message that is only digits read out one by one ("oh eight three six", "double five
    one"), as digits; None when any word is not a digit."""
    out: list[str] = []
    times = 1
    for word in re.split(r"[\s,.\-]+", text.strip(" .!")):
        if word in _REPEATS:
            times = _REPEATS[word]
            continue
        digit = _DIGIT_WORDS.get(word) or (word if word.isdigit() else None)
        if digit is None or (times > 1 and len(digit) > 1):
            return None
        out.append(digit * times)
        times = 1
    return "".join(out) if out and times == 1 else None


def bare_id_digits(text: str) -> str | None:
    """All the digits of a message, when ID digits were asked for (3 to 15 of them)."""
    digits = spoken_digits(text) or "".join(_DIGIT_RUN.findall(text))
    return digits if 3 <= len(digits) <= 15 else None


def find_choice(text: str) -> int | None:
    """The number of the option picked ("2", "option 2", "the second one"), 1-based."""
    match = _CHOICE.match(text.strip())
    if match is None:
        return None
    pick = match.group("pick")
    if pick.isdigit():
        return int(pick) if int(pick) > 0 else None
    return _ORDINALS.get(pick) or _CARDINALS.get(pick)
