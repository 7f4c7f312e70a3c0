"""Money amounts, as the borrower writes them, to exact Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.understanding.amounts import find_amounts, parse_amount


@pytest.mark.parametrize(("text", "expected"), [
    ("5k", "5000"),
    ("5K", "5000"),
    ("5.5k", "5500"),
    ("5 k", "5000"),
    ("TT$5,000", "5000"),
    ("tt$ 5,000", "5000"),
    ("TTD 2500", "2500"),
    ("TTD$750", "750"),
    ("tt 300", "300"),
    ("$5000", "5000"),
    ("$ 5000", "5000"),
    ("5,000.50", "5000.50"),
    ("1,250,000", "1250000"),
    ("5000 dollars", "5000"),
    ("5000 TT dollars", "5000"),
    ("300 bucks", "300"),
    ("five thousand", "5000"),
    ("five thousand dollars", "5000"),
    ("two hundred and fifty", "250"),
    ("a hundred and fifty dollars", "150"),
    ("twenty-five thousand", "25000"),
    ("five thousand five hundred", "5500"),
    ("1.5 million", "1500000"),
    ("1.5m dollars", "1500000"),
    ("$1m", "1000000"),
    ("2 mil", "2000000"),
    ("half a million", "500000"),
    ("half a mil", "500000"),
    ("one and a half million", "1500000"),
    ("two and a half thousand", "2500"),
    ("a grand", "1000"),
    ("5 grand", "5000"),
    ("ten grand", "10000"),
    ("fifteen hundred", "1500"),
    ("5 thousand", "5000"),
    ("2 hundred", "200"),
    ("-5", "-5"),
    ("$-5", "-5"),
    ("-$5", "-5"),
    ("minus five", "-5"),
    ("0", "0"),
    ("0.50", "0.50"),
    (".75", "0.75"),
    ("I want to borrow 5k for 18 months", "5000"),
    ("can I pay 1,200 on friday", "1200"),
])
def test_an_amount_is_parsed_exactly(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("text", [
    "", "I want a loan", "a", "and", "half", "five five", "nineteen ninety",
    "18m",  # as likely 18 months as 18 million
    "abc123", "9" * 40,
])
def test_no_amount_is_found_where_there_is_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(("text", "marked"), [
    ("5k", True), ("$500", True), ("500 dollars", True), ("five thousand", True),
    ("5,000", True), ("12.50", True), ("500", False), ("five", False), ("-5", False),
])
def test_an_amount_says_whether_the_message_marked_it_as_money(text: str, marked: bool) -> None:
    [found] = find_amounts(text)
    assert found.value.marked is marked


def test_several_amounts_are_found_in_order_with_their_positions() -> None:
    found = find_amounts("not 5k, make it $7,500")
    assert [(f.start, f.end, f.value.value) for f in found] == [
        (4, 6, Decimal(5000)), (16, 22, Decimal(7500)),
    ]


def test_a_whole_amount_has_no_trailing_decimal_places() -> None:
    assert str(parse_amount("1.5 million")) == "1500000"
    assert str(parse_amount("half a million")) == "500000"
