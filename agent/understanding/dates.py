"""Dates in a normalised message, resolved against an explicit `today`.

Day first, as written in Trinidad and Tobago: "30/11" is 30 November. Understood: "today",
"tomorrow", "yesterday", "Friday", "next Friday", "Friday next week", "last Friday", "Friday
gone", "the 30th", "30/11", "30/11/2026", "2026-11-30", "Nov 30", "30 November", "end of the
month", "in 2 weeks". "payday" names a time but not a date: it is found with no value.

A date without its year, month or week ("the 15th", "30/11", "Friday") is the next such date
after today, or with `past=True` ("I paid on Friday") the last one not after it; a day and
month a few weeks gone ("1 November" on 20 November) stay in this year, in the past. "Friday" and
"next Friday" are both the first Friday after today.

A date of birth may also be spoken ("the tenth of February nineteen seventy") or keyed on a
phone's keypad as DDMMYYYY ("17061972", "1 7 0 6 1 9 7 2").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from agent.understanding.numbers import WORD_NUMBER, Found, non_overlapping, words_value

_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_WD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"
_YEAR = r"(?:[0-9]{4}|'[0-9]{2})"

# "1 November" said on 20 November is the one just gone (a mistake the flow can point out),
# not next year's; a day and month further back than this are next year's.
_RECENTLY = dt.timedelta(days=92)

Resolve = Callable[[re.Match[str], dt.date, bool], dt.date | None]


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.lstrip("'")
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _month_day(month: int, day: int, year: int | None, today: dt.date, past: bool) -> dt.date:
    if year is not None:
        return dt.date(year, month, day)
    candidate = dt.date(today.year, month, day)
    if not past and candidate < today - _RECENTLY:
        return dt.date(today.year + 1, month, day)
    if past and candidate > today:
        return dt.date(today.year - 1, month, day)
    return candidate


def _day_only(day: int, today: dt.date, past: bool) -> dt.date | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = dt.date(year, month, day)
            if (candidate <= today) if past else (candidate >= today):
                return candidate
        month += -1 if past else 1
        if month in (0, 13):
            year, month = (year - 1, 12) if past else (year + 1, 1)
    return None


def _add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def _month_end(today: dt.date, ahead: int) -> dt.date:
    first = _add_months(today.replace(day=1), ahead)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _weekday(m: re.Match[str], today: dt.date, past: bool) -> dt.date | None:
    target = _WEEKDAYS[m.group("wd")]
    before, after = m.group("before") or "", m.group("after") or ""
    if "next week" in (before, after):
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=target)
    if before == "last" or after in {"gone", "last week"}:
        return today - dt.timedelta(days=(today.weekday() - target) % 7 or 7)
    if past:  # "I paid on Wednesday", said on a Wednesday, is today
        return today - dt.timedelta(days=(today.weekday() - target) % 7)
    return today + dt.timedelta(days=(target - today.weekday()) % 7 or 7)


def _relative(m: re.Match[str], today: dt.date, past: bool) -> dt.date | None:
    word = m.group(0)
    offsets = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1,
               "day after tomorrow": 2, "day before yesterday": -2}
    return today + dt.timedelta(days=offsets[word.removeprefix("the ")])


def _in_count(m: re.Match[str], today: dt.date, past: bool) -> dt.date | None:
    words = m.group("words")
    count = (int(m.group("digits")) if m.group("digits") else
             1 if words in {"a", "an"} else words_value(words or ""))
    if count is None or count != int(count):
        return None
    unit = m.group("unit")
    if unit.startswith("month"):
        return _add_months(today, int(count))
    days = {"day": 1, "week": 7, "fortnight": 14}[unit.rstrip("s")]
    return today + dt.timedelta(days=int(count) * days)


_PATTERNS: tuple[tuple[re.Pattern[str], Resolve], ...] = (
    (re.compile(r"(?<![0-9])(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?![0-9])"),
     lambda m, t, p: dt.date(int(m["y"]), int(m["m"]), int(m["d"]))),
    (re.compile(r"(?<![0-9/.\-$])(?P<d>[0-9]{1,2})(?P<sep>[/.\-])(?P<m>[0-9]{1,2})(?P=sep)"
                r"(?P<y>[0-9]{4}|[0-9]{2})(?![0-9]|[/.\-][0-9])"),
     lambda m, t, p: dt.date(_year(m["y"]) or 0, int(m["m"]), int(m["d"]))),
    (re.compile(r"(?<![0-9/.\-$])(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})(?![0-9]|/[0-9])"),
     lambda m, t, p: _month_day(int(m["m"]), int(m["d"]), None, t, p)),
    (re.compile(rf"\b(?:the )?(?P<d>[0-9]{{1,2}}){_ORD}? ?(?:of )?(?P<mon>{_MON})\b\.?"
                rf"(?:,? (?P<y>{_YEAR}))?(?![0-9])"),
     lambda m, t, p: _month_day(_MONTHS[m["mon"]], int(m["d"]), _year(m["y"]), t, p)),
    (re.compile(rf"\b(?P<mon>{_MON})\.? (?:the )?(?P<d>[0-9]{{1,2}}){_ORD}?\b"
                rf"(?:,? (?P<y>{_YEAR}))?(?![0-9]|[.,][0-9]|k\b| ?(?:dollars|thousand))"),
     lambda m, t, p: _month_day(_MONTHS[m["mon"]], int(m["d"]), _year(m["y"]), t, p)),
    (re.compile(rf"\b(?:on |by |before |until |till )?(?:the )?(?P<d>[0-9]{{1,2}}){_ORD}\b"
                r"(?P<next> of next month)?(?: of (?:the|this) month)?"),
     lambda m, t, p: (_add_months(t.replace(day=1), 1).replace(day=int(m["d"])) if m["next"]
                      else _day_only(int(m["d"]), t, p))),
    (re.compile(r"\b(?:on|by|before|until|till) the (?P<d>[0-9]{1,2})\b(?! ?(?:[0-9]|k\b|"
                r"dollars|thousand|months?|years?|weeks?|days?|percent|%))"),
     lambda m, t, p: _day_only(int(m["d"]), t, p)),
    (re.compile(r"\b(?:the )?day (?:after tomorrow|before yesterday)\b|\btoday\b|\btonight\b|"
                r"\btomorrow\b|\byesterday\b"), _relative),
    (re.compile(rf"\bin (?:(?P<digits>[0-9]{{1,3}})|(?P<words>{WORD_NUMBER})) ?"
                r"(?P<unit>days?|weeks?|fortnights?|months?)\b|\b(?:(?P<digits2>[0-9]{1,3}) )?"
                r"(?P<unit2>days?|weeks?) from (?:now|today)\b"),
     lambda m, t, p: _in_count(m, t, p) if m["unit"] else t + dt.timedelta(
         days=int(m["digits2"] or 1) * (7 if m["unit2"].startswith("week") else 1))),
    (re.compile(rf"\b(?:(?P<before>next week|next|this|coming|this coming|last|on|by) )?"
                rf"(?P<wd>{_WD})\b(?: (?P<after>next week|this week|last week|gone|coming))?"),
     _weekday),
    (re.compile(r"\b(?:(?:the )?end of (?:the |this )?month|month ?end|(?P<next>(?:the )?end "
                r"of next month))\b"),
     lambda m, t, p: _month_end(t, 1 if m["next"] else 0)),
    (re.compile(r"\b(?:the )?(?:beginning|start|first) of next month\b"),
     lambda m, t, p: _add_months(t.replace(day=1), 1)),
    (re.compile(r"\bpay ?day\b(?! loan| advance)|\bwhen i get paid\b|\bsalary day\b|"
                r"\bnext pay ?(?:check|cheque)\b"),
     lambda m, t, p: None),
)


def find_dates(text: str, *, today: dt.date, past: bool = False) -> list[Found[dt.date | None]]:
    """Every date or named time in a normalised message; None where it names no date."""
    found: list[Found[dt.date | None]] = []
    for pattern, resolve in _PATTERNS:
        for match in pattern.finditer(text):
            try:
                value = resolve(match, today, past)
            except (ValueError, OverflowError):
                value = None
            found.append(Found(match.start(), match.end(), value))
    return non_overlapping(found)


def parse_date(text: str, *, today: dt.date, past: bool = False) -> dt.date | None:
    """The first date in `text` ("next Friday", "30/11"), or None ("payday", no date)."""
    for item in find_dates(text.lower(), today=today, past=past):
        if item.value is not None:
            return item.value
    return None


_BIRTH_PATTERNS = _PATTERNS[:2] + _PATTERNS[3:5]


def parse_date_of_birth(text: str, *, today: dt.date) -> dt.date | None:
    """A date of birth written in full ("12 March 1985", "1985-03-12", "12/03/1985"), or None.

    A two-digit year is the latest one not after today ("12/03/85" is 1985).
    """
    text, in_the_past = text.lower(), True
    for pattern, resolve in _BIRTH_PATTERNS:
        for match in pattern.finditer(text):
            if match.groupdict().get("y") is None:
                continue
            try:
                value = resolve(match, today, in_the_past)
                if value is not None and value > today and len(match["y"].lstrip("'")) == 2:
                    value = value.replace(year=value.year - 100)
            except (ValueError, OverflowError):
                continue
            if value is not None:
                return value
    return None


_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_DECADES = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
_CARDINAL_WORDS = {word: index + 1 for index, word in enumerate(_UNITS)} | {
    word: index + 10 for index, word in enumerate(_TEENS)} | {"twenty": 20, "thirty": 30}
_UNIT = "|".join(_UNITS)
_TWO_DIGITS = (rf"(?:{'|'.join(_TEENS)}|(?:{'|'.join(_DECADES)})(?:[ -](?:{_UNIT}))?|"
               rf"(?:oh|o) (?:{_UNIT}))")
_SPOKEN_YEAR = re.compile(
    rf"\b(?P<century>nineteen|twenty) (?P<rest>{_TWO_DIGITS})\b|"
    rf"\btwo thousand(?: and)?(?: (?P<rest2>{_TWO_DIGITS}|{_UNIT}))?\b"
)
_SPOKEN_DAY = re.compile(
    rf"\b(?:(?P<tens>twenty|thirty)[ -])?(?P<ord>{'|'.join(_ORDINAL_WORDS)})\b"
)
_CARDINAL = "|".join(sorted(_CARDINAL_WORDS, key=len, reverse=True))
_CARDINAL_BY_MONTH = re.compile(
    rf"\b(?P<mon>{_MON}) (?:the )?(?:(?P<tens>twenty|thirty)[ -])?(?P<day>{_CARDINAL})\b|"
    rf"\b(?:(?P<tens2>twenty|thirty)[ -])?(?P<day2>{_CARDINAL}) (?:of )?(?P<mon2>{_MON})\b"
)
_KEYED = re.compile(r"^[0-9][0-9 \-]{6,14}[0-9]$")


def _two_digits(words: str) -> int:
    parts = words.replace("-", " ").split()
    if parts[0] in {"oh", "o"}:
        parts = parts[1:]
    if parts[0] in _UNITS:
        return _UNITS.index(parts[0]) + 1
    if parts[0] in _TEENS:
        return _TEENS.index(parts[0]) + 10
    return _DECADES[parts[0]] + (_UNITS.index(parts[1]) + 1 if len(parts) > 1 else 0)


def _year_digits(m: re.Match[str]) -> str:
    if m["century"]:
        return str((19 if m["century"] == "nineteen" else 20) * 100 + _two_digits(m["rest"]))
    return str(2000 + (_two_digits(m["rest2"]) if m["rest2"] else 0))


def spoken_date(text: str) -> str:
    """A normalised message with a spoken date in digits: "the tenth of may nineteen ninety"
    becomes "the 10th of may 1990"; other words stay as they are."""
    text = _SPOKEN_YEAR.sub(_year_digits, text)
    text = _SPOKEN_DAY.sub(
        lambda m: f"{_ORDINAL_WORDS[m['ord']] + (_DECADES[m['tens']] if m['tens'] else 0)}th",
        text)

    def cardinal(m: re.Match[str]) -> str:
        tens = m["tens"] or m["tens2"]
        day = _CARDINAL_WORDS[m["day"] or m["day2"]] + (_DECADES[tens] if tens else 0)
        return f"{m['mon']} {day}" if m["mon"] else f"{day} {m['mon2']}"

    return _CARDINAL_BY_MONTH.sub(cardinal, text)


def keyed_date_of_birth(text: str, *, today: dt.date) -> dt.date | None:
    """Eight digits keyed as DDMMYYYY ("17061972", "1 7 0 6 1 9 7 2"), when a real past date."""
    if not _KEYED.match(text.strip()):
        return None
    digits = "".join(char for char in text if char.isdigit())
    if len(digits) != 8:
        return None
    try:
        value = dt.date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None
    return value if value <= today else None
