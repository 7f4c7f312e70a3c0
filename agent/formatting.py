"""Write amounts and dates for people, and fit a reply to its channel.

Replies are written once, in plain text with light markdown (`*bold*`, `- ` lists). A
channel without markdown gets it stripped; a spoken channel gets amounts and dates as words
a voice reads naturally, no symbols and no lists; a long reply is split at paragraph breaks.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from agent.state import Capabilities

CURRENCY_PREFIX = {"TTD": "TT$", "USD": "US$"}


def money(amount: str | Decimal, currency: str = "TTD") -> str:
    """'1234.5' -> 'TT$1,234.50'."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}{CURRENCY_PREFIX.get(currency, currency + ' ')}{abs(value):,.2f}"


def day(value: str | dt.date) -> str:
    """'2026-12-05' -> 'Sat 5 Dec 2026'."""
    date = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{date:%a} {date.day} {date:%b %Y}"


def percent(rate: str | Decimal) -> str:
    """A rate as a fraction ('0.2399') or a percentage ('23.99', '23.99%') -> '23.99%'."""
    if str(rate).endswith("%"):
        return str(rate)
    value = Decimal(str(rate))
    if value < 1:
        value *= 100
    return f"{value.quantize(Decimal('0.01')).normalize():f}%"


_ORDINAL = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}
_MONEY = re.compile(r"(TT|US)\$(\d[\d,]*)(?:\.(\d{2}))?")
_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2}) "
                   r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})\b")
_WEEKDAYS = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
             "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}
_MONTHS = {"Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "May": "May",
           "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September",
           "Oct": "October", "Nov": "November", "Dec": "December"}


def _spoken_money(match: re.Match[str]) -> str:
    dollars = int(match.group(2).replace(",", ""))
    cents = int(match.group(3) or 0)
    unit = "dollar" if dollars == 1 else "dollars"
    spoken = f"{dollars:,} {unit}"
    if cents:
        spoken += f" and {cents} cent{'s' if cents != 1 else ''}"
    return spoken


def _spoken_date(match: re.Match[str]) -> str:
    weekday, number, month, _year = match.groups()
    suffix = _ORDINAL.get(int(number), "th")
    return f"{_WEEKDAYS[weekday]} the {number}{suffix} of {_MONTHS[month]}"


def speakable(text: str) -> str:
    """Text a voice can read: amounts and dates in words, no markdown, lists or links."""
    text = _MONEY.sub(_spoken_money, text)
    text = _DATE.sub(_spoken_date, text)
    text = re.sub(r"https?://\S+", "the link we sent you by text", text)
    text = re.sub(r"^\s*[-•]\s*", "", text, flags=re.MULTILINE)
    text = text.replace("%", " percent").replace("&", " and ")
    text = re.sub(r"[*_#`|]", "", text)
    text = _SPOKEN_SOURCE.sub(lambda m: f"That's from our {m.group(1).strip()}.", text)
    text = re.sub(r"\s*\((loan \d+)\)", "", text)  # a reference a caller cannot use
    return re.sub(r"\s*\n+\s*", " ", text).strip()


_SPOKEN_SOURCE = re.compile(r"\(Source: ([^—)]+)(?:—[^)]*)?\)")


def plain(text: str) -> str:
    """Markdown emphasis removed for channels that show it literally."""
    return re.sub(r"(?<!\w)[*_]([^*_\n]+)[*_](?!\w)", r"\1", text)


def split(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no part exceeds `limit`."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(\n\n|\n| )", text):
        if len(current) + len(piece) > limit and current.strip():
            parts.append(current.strip())
            current = ""
        while len(piece) > limit:
            parts.append(piece[:limit])
            piece = piece[limit:]
        current += piece
    if current.strip():
        parts.append(current.strip())
    return parts


def fit(text: str, capabilities: Capabilities) -> list[str]:
    """The reply as the channel should carry it, in one or more messages."""
    if capabilities["speakable"]:
        text = speakable(text)
    elif not capabilities["markdown"]:
        text = plain(text)
    return split(text, capabilities["max_length"])
