"""Codes, contact details, references, choices, products and payment methods."""

from __future__ import annotations

import pytest

from agent.understanding import identifiers
from agent.understanding.products import PRODUCT_CODES, find_method, find_product
from core.products.catalogue import PRODUCTS


@pytest.mark.parametrize(("text", "expected"), [
    ("my email is a@b.com", "a@b.com"),
    ("John.Doe+loans@Example.co.tt please", "John.Doe+loans@Example.co.tt"),
    ("no email here", None),
    ("a@b", None),
])
def test_an_email_is_kept_as_written(text: str, expected: str | None) -> None:
    assert identifiers.find_email(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I paid at the branch yesterday ref ABC123", "ABC123"),
    ("reference: TX-99812", "TX-99812"),
    ("Reference number is 55443322", "55443322"),
    ("receipt #A1B2C3", "A1B2C3"),
    ("ref please", None),
    ("my reference", None),
])
def test_a_reference_is_taken_after_its_label(text: str, expected: str | None) -> None:
    assert identifiers.find_reference(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ABC123", "ABC123"), ("#TX-99812", "TX-99812"), ("ABCDEF", None), ("a b c 1", None),
])
def test_a_bare_reference_needs_a_digit_and_no_spaces(text: str, expected: str | None) -> None:
    assert identifiers.bare_reference(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("call me on 868-555-0150", ["868-555-0150"]),
    ("+1 (868) 555-0150", ["+1 (868) 555-0150"]),
    ("8685550150", ["8685550150"]),
    ("555-0150", ["555-0150"]),
    ("+44 20 7946 0958", ["+44 20 7946 0958"]),
    ("I want 5000", []),
])
def test_phone_numbers_are_found_as_written(text: str, expected: list[str]) -> None:
    assert [found.value for found in identifiers.find_phones(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("123456", ["123456"]), ("code 654321 thanks", ["654321"]), ("$123456", []),
    ("123456 dollars", []), ("1234567", []), ("12345", []), ("123,456", []),
])
def test_a_code_is_six_digits_standing_alone(text: str, expected: list[str]) -> None:
    assert [found.value for found in identifiers.find_codes(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("123 456", "123456"), ("1-2-3-4-5-6", "123456"), ("it is 123456", "123456"),
    ("12345", "12345"), ("1 2 3", None), ("123456789", None), ("no digits", None),
])
def test_a_spaced_code_is_its_digits(text: str, expected: str | None) -> None:
    assert identifiers.spaced_code(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2", 2), ("option 2", 2), ("number 3", 3), ("the second one", 2), ("first", 1),
    ("i will take the 3rd one", 3), ("#1", 1), ("two", 2), ("0", None), ("the car one", None),
])
def test_a_choice_is_a_one_based_option_number(text: str, expected: int | None) -> None:
    assert identifiers.find_choice(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("my id is 19850312001", "19850312001"), ("id number 1985 0312 001", "19850312001"),
    ("no id here", None),
])
def test_id_digits_are_taken_after_an_id_label(text: str, expected: str | None) -> None:
    found = identifiers.find_id_digits(text)
    assert (found.value if found else None) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("personal loan", "PERSONAL"),
    ("a loan for personal use", "PERSONAL"),
    ("money for my wedding", "PERSONAL"),
    ("salary advance", "SALARY_ADVANCE"),
    ("an advance on my salary", "SALARY_ADVANCE"),
    ("payday loan", "SALARY_ADVANCE"),
    ("car loan", "AUTO"),
    ("i want to buy a vehicle", "AUTO"),
    ("a maxi taxi", "AUTO"),
    ("debt consolidation", "DEBT_CONSOLIDATION"),
    ("consolidate my debts", "DEBT_CONSOLIDATION"),
    ("pay off my credit cards", "DEBT_CONSOLIDATION"),
    ("small business loan", "MICRO_BUSINESS"),
    ("stock for my parlour", "MICRO_BUSINESS"),
    ("micro loan", "MICRO_BUSINESS"),
    ("hire purchase for a fridge", "HP_STANDARD"),
    ("hire purchase", "HP_STANDARD"),
    ("a new washing machine", "HP_STANDARD"),
    ("a living room set", "HP_STANDARD"),
    ("a laptop", "HP_STANDARD"),
    ("interest free hire purchase", "HP_PROMO"),
    ("interest-free fridge", "HP_PROMO"),
    ("a stove with no interest", "HP_PROMO"),
    ("0% interest", "HP_PROMO"),
    ("what are your business hours", None),
    ("i have no interest in that", None),
    ("stop sending me promotions", None),
    ("can i pay in advance", None),
    ("my credit card", None),
    ("i want a loan", None),
])
def test_a_product_is_named_by_its_catalogue_code(text: str, expected: str | None) -> None:
    assert find_product(text) == expected


def test_the_product_codes_are_the_catalogues() -> None:
    assert set(PRODUCT_CODES) == {product.code for product in PRODUCTS}


@pytest.mark.parametrize(("text", "expected"), [
    ("send me a payment link", "link"),
    ("can i pay online", "link"),
    ("pay by card", "link"),
    ("i paid at the branch yesterday", "recorded"),
    ("i already paid", "recorded"),
    ("i made a payment", "recorded"),
    ("i deposited the money", "recorded"),
    ("i want to pay", None),
])
def test_a_payment_method_is_a_link_or_a_payment_already_made(
    text: str, expected: str | None,
) -> None:
    assert find_method(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("zero eight three six", "0836"),
    ("oh eight three six", "0836"),
    ("double oh three six", "0036"),
    ("triple five 1", "5551"),
    ("one two three, four five six", "123456"),
    ("zero eight three six please", None),
    ("double", None),
    ("eight hundred", None),
    ("", None),
])
def test_digits_read_out_one_by_one_are_digits(text: str, expected: str | None) -> None:
    assert identifiers.spoken_digits(text) == expected
