"""Loan terms to whole months."""

from __future__ import annotations

import pytest

from agent.understanding.terms import find_terms, parse_term_months


@pytest.mark.parametrize(("text", "months"), [
    ("18 months", 18),
    ("18 month", 18),
    ("12 mths", 12),
    ("12 mth", 12),
    ("24 mos", 24),
    ("an 18-month loan", 18),
    ("a 36 month term", 36),
    ("a year and a half", 18),
    ("one and a half years", 18),
    ("two and a half years", 30),
    ("1.5 years", 18),
    ("2 years", 24),
    ("two yrs", 24),
    ("1 yr", 12),
    ("a year", 12),
    ("half a year", 6),
    ("eighteen months", 18),
    ("twenty four months", 24),
    ("1 year 6 months", 18),
    ("2 years and 6 months", 30),
    ("500 months", 500),
    ("0 months", 0),
    ("pay 500 a month for 2 years", 24),
    ("borrow 5k for 18 months", 18),
])
def test_a_term_is_read_in_months(text: str, months: int) -> None:
    assert parse_term_months(text) == months


@pytest.mark.parametrize("text", [
    "6 weeks", "in 2 weeks", "10 days", "a fortnight", "1.5 months", "i make 8k a month",
    "8,000 dollars a month", "6 months ago", "18", "", "months",
])
def test_what_is_not_a_term_in_months_gives_none(text: str) -> None:
    assert parse_term_months(text) is None


def test_weeks_are_found_so_their_number_is_not_taken_for_an_amount() -> None:
    [found] = find_terms("6 weeks")
    assert (found.start, found.end, found.value) == (0, 7, None)
