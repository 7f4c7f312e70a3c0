"""Pure checks and normalisation of customer input: names, dates, phones, emails, documents.

Each function returns the canonical value or raises `ValidationError` with a message a
borrower or staff member can act on.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from core.crypto import normalise_identifier
from core.customers.models import ContactChannel, DocumentType
from core.errors import ValidationError

DEFAULT_REGION: Final = "TT"
OLDEST_AGE: Final = 120

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
_DOCUMENT_LABELS: Final = {
    DocumentType.NATIONAL_ID: "national ID number",
    DocumentType.PASSPORT: "passport number",
    DocumentType.DRIVERS_PERMIT: "driver's permit number",
}


def document_label(document_type: DocumentType) -> str:
    """How a message names the document's number: "national ID number"."""
    return _DOCUMENT_LABELS[document_type]


def check_name(value: str, label: str) -> str:
    """A trimmed, non-empty name of at most 100 characters."""
    name = " ".join(value.split())
    if not name:
        raise ValidationError(f"The {label} cannot be empty.")
    if len(name) > 100:
        raise ValidationError(f"The {label} is longer than 100 characters.")
    return name


def check_date_of_birth(value: date, *, today: date) -> date:
    """A birth date that is not in the future and no more than 120 years ago."""
    if value > today:
        raise ValidationError(f"The date of birth {value:%d %B %Y} is in the future.")
    if value.year < today.year - OLDEST_AGE:
        raise ValidationError(
            f"The date of birth {value:%d %B %Y} is more than {OLDEST_AGE} years ago."
        )
    return value


def normalise_email(value: str) -> str:
    """An email address, trimmed and lower-cased."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationError(f"{value.strip()!r} is not an email address.")
    return email


def _is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return (
        number.country_code == 1
        and len(national) == 10
        and national[3:6] == "555"
        and 100 <= int(national[6:]) <= 199
    )


def normalise_phone(value: str, *, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 ("+18685550101"); numbers without "+" are read as `region`'s.

    Accepts "868 555 0101", "+1 (868) 555-0101" and Twilio's "whatsapp:+18685550101".
    Valid means valid for its country in libphonenumber's metadata, plus the North American
    fictional range NPA-555-0100 to 0199, which demos and tests use so they never reach a
    real person.
    """
    raw = value.strip()
    if raw.lower().startswith("whatsapp:"):
        raw = raw[len("whatsapp:"):]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{value.strip()!r} is not a phone number.") from None
    if not (phonenumbers.is_valid_number(number) or _is_fictional(number)):
        raise ValidationError(f"{value.strip()!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored E.164 number as people write it: "+1 868-555-0101"."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_address(channel: ContactChannel, value: str) -> str:
    """The canonical address on `channel`: E.164 for phone channels, lower-case email."""
    if channel.is_phone:
        return normalise_phone(value)
    return normalise_email(value)


def display_address(channel: ContactChannel, address: str) -> str:
    return display_phone(address) if channel.is_phone else address


def check_time_zone(value: str) -> str:
    """An IANA time zone name such as "America/Port_of_Spain"."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone.") from None
    return value


def check_language(value: str) -> str:
    """A language tag such as "en", "es" or "en-TT"."""
    if not _LANGUAGE.match(value):
        raise ValidationError(f"{value!r} is not a language code like 'en' or 'es'.")
    return value


def normalise_document_number(document_type: DocumentType, value: str) -> str:
    """The number upper-cased without spaces or dashes: 5–20 letters and digits."""
    number = normalise_identifier(value)
    if not _DOCUMENT_NUMBER.match(number):
        raise ValidationError(
            f"That {document_label(document_type)} should be 5 to 20 letters and digits."
        )
    return number
