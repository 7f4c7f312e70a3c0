"""Customer input checks: phones (E.164, TT default), emails, dates of birth, documents."""

from __future__ import annotations

from datetime import date

import pytest

from core.customers.models import ContactChannel, DocumentType
from core.customers.validation import (
    check_date_of_birth,
    check_language,
    check_name,
    check_time_zone,
    display_phone,
    normalise_address,
    normalise_document_number,
    normalise_email,
    normalise_phone,
)
from core.errors import ValidationError

TODAY = date(2025, 3, 14)


@pytest.mark.parametrize(
    "raw",
    ["+1 868 555 0101", "868 555 0101", "(868) 555-0101", "18685550101", "whatsapp:+18685550101",
     "WhatsApp:+1 868 555 0101"],
)
def test_phone_forms_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+18685550101"


def test_real_and_foreign_numbers() -> None:
    assert normalise_phone("868-620-1234") == "+18686201234"
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert display_phone("+18685550101") == "+1 868-555-0101"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345", "not a valid phone number"),
        ("+1 868 123 4567", "not a valid phone number"),  # exchanges cannot start with 1
        ("+1 868 555 0200", "not a valid phone number"),  # 555 outside the fictional 01xx
        ("call me", "not a phone number"),
        ("", "not a phone number"),
    ],
)
def test_bad_phones_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        normalise_phone(raw)


def test_addresses_follow_the_channel() -> None:
    assert normalise_address(ContactChannel.SMS, "868 555 0102") == "+18685550102"
    assert normalise_address(ContactChannel.EMAIL, " Asha.Ramdial@Example.TT ") == (
        "asha.ramdial@example.tt"
    )
    with pytest.raises(ValidationError, match="not an email"):
        normalise_address(ContactChannel.EMAIL, "868 555 0102")
    with pytest.raises(ValidationError, match="not a phone number"):
        normalise_address(ContactChannel.WHATSAPP, "asha@example.tt")


@pytest.mark.parametrize("raw", ["asha", "asha@", "@example.tt", "a b@example.tt", "a@b.c"])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="not an email"):
        normalise_email(raw)


def test_date_of_birth_bounds() -> None:
    assert check_date_of_birth(TODAY, today=TODAY) == TODAY
    assert check_date_of_birth(date(1905, 1, 1), today=TODAY) == date(1905, 1, 1)
    with pytest.raises(ValidationError, match="15 March 2025 is in the future"):
        check_date_of_birth(date(2025, 3, 15), today=TODAY)
    with pytest.raises(ValidationError, match="more than 120 years ago"):
        check_date_of_birth(date(1904, 12, 31), today=TODAY)


def test_names_languages_and_time_zones() -> None:
    assert check_name("  Asha   Ramdial ", "first name") == "Asha Ramdial"
    with pytest.raises(ValidationError, match="first name cannot be empty"):
        check_name("   ", "first name")
    with pytest.raises(ValidationError, match="longer than 100"):
        check_name("x" * 101, "last name")
    assert check_language("en") == "en" and check_language("en-TT") == "en-TT"
    with pytest.raises(ValidationError, match="not a language code"):
        check_language("English")
    assert check_time_zone("America/Port_of_Spain") == "America/Port_of_Spain"
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(ValidationError, match="not a known time zone"):
            check_time_zone(bad)


def test_document_numbers() -> None:
    assert normalise_document_number(DocumentType.NATIONAL_ID, "1985-0101-001") == "19850101001"
    assert normalise_document_number(DocumentType.PASSPORT, "ta 123 4567") == "TA1234567"
    with pytest.raises(ValidationError, match="national ID number should be 5 to 20"):
        normalise_document_number(DocumentType.NATIONAL_ID, "12#45")
    with pytest.raises(ValidationError, match="passport number should be 5 to 20"):
        normalise_document_number(DocumentType.PASSPORT, "1234")
