"""Dates resolved against an explicit today: Wednesday 18 November 2026."""

from __future__ import annotations

from datetime import date

import pytest

from agent.understanding.dates import (
    find_dates,
    keyed_date_of_birth,
    parse_date,
    parse_date_of_birth,
    spoken_date,
)

TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize(("text", "expected"), [
    ("today", date(2026, 11, 18)),
    ("tonight", date(2026, 11, 18)),
    ("tomorrow", date(2026, 11, 19)),
    ("day after tomorrow", date(2026, 11, 20)),
    ("yesterday", date(2026, 11, 17)),
    ("next Friday", date(2026, 11, 20)),
    ("Friday", date(2026, 11, 20)),
    ("on friday", date(2026, 11, 20)),
    ("this coming Friday", date(2026, 11, 20)),
    ("fri", date(2026, 11, 20)),
    ("Wednesday", date(2026, 11, 25)),  # today is Wednesday: the next one is a week away
    ("monday", date(2026, 11, 23)),
    ("Friday next week", date(2026, 11, 27)),
    ("next week Friday", date(2026, 11, 27)),
    ("last Friday", date(2026, 11, 13)),
    ("Friday gone", date(2026, 11, 13)),
    ("on the 30th", date(2026, 11, 30)),
    ("30th", date(2026, 11, 30)),
    ("by the 20th", date(2026, 11, 20)),
    ("the 18th", date(2026, 11, 18)),
    ("the 15th", date(2026, 12, 15)),
    ("31st", date(2026, 12, 31)),  # November has no 31st
    ("on the 30", date(2026, 11, 30)),
    ("the 5th of next month", date(2026, 12, 5)),
    ("30/11", date(2026, 11, 30)),
    ("1/12", date(2026, 12, 1)),
    ("5/1", date(2027, 1, 5)),
    ("30/11/2026", date(2026, 11, 30)),
    ("30-11-2026", date(2026, 11, 30)),
    ("30.11.2026", date(2026, 11, 30)),
    ("30/11/26", date(2026, 11, 30)),
    ("2026-11-30", date(2026, 11, 30)),
    ("Nov 30", date(2026, 11, 30)),
    ("November 30th", date(2026, 11, 30)),
    ("December 24th", date(2026, 12, 24)),
    ("30 November", date(2026, 11, 30)),
    ("30th of November", date(2026, 11, 30)),
    ("the 1st of December", date(2026, 12, 1)),
    ("24 dec 2026", date(2026, 12, 24)),
    ("March 3", date(2027, 3, 3)),
    ("1 November", date(2026, 11, 1)),  # just gone: the flow says so, it is not 2027's
    ("June 1", date(2027, 6, 1)),  # long gone: next year's
    ("end of the month", date(2026, 11, 30)),
    ("end of month", date(2026, 11, 30)),
    ("month end", date(2026, 11, 30)),
    ("end of next month", date(2026, 12, 31)),
    ("beginning of next month", date(2026, 12, 1)),
    ("in 2 weeks", date(2026, 12, 2)),
    ("in two weeks", date(2026, 12, 2)),
    ("in a week", date(2026, 11, 25)),
    ("in 3 days", date(2026, 11, 21)),
    ("in a fortnight", date(2026, 12, 2)),
    ("in 2 months", date(2027, 1, 18)),
    ("2 weeks from now", date(2026, 12, 2)),
    ("i will pay 500 friday", date(2026, 11, 20)),
])
def test_a_date_is_resolved_against_today(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("friday", date(2026, 11, 13)),
    ("the 20th", date(2026, 10, 20)),
    ("the 15th", date(2026, 11, 15)),
    ("30/11", date(2025, 11, 30)),
    ("Nov 2", date(2026, 11, 2)),
    ("wednesday", date(2026, 11, 18)),  # said on a Wednesday: today
    ("last wednesday", date(2026, 11, 11)),
    ("18 November", date(2026, 11, 18)),
    ("the 18th", date(2026, 11, 18)),
])
def test_in_the_past_a_partial_date_is_the_last_one_before_today(
    text: str, expected: date,
) -> None:
    assert parse_date(text, today=TODAY, past=True) == expected


@pytest.mark.parametrize("text", [
    "payday", "pay day", "when i get paid", "salary day", "31/02", "30/02/2026",
])
def test_a_named_time_that_is_no_date_is_found_without_a_value(text: str) -> None:
    [found] = find_dates(text, today=TODAY)
    assert found.value is None
    assert parse_date(text, today=TODAY) is None


@pytest.mark.parametrize("text", [
    "", "next week", "soon", "i may pay 500", "may 5k", "1.5 million", "5,000",
    "payday loan", "in 99999999 weeks", "the quick brown fox",
])
def test_no_date_is_found_where_there_is_none(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("12 March 1985", date(1985, 3, 12)),
    ("1985-03-12", date(1985, 3, 12)),
    ("12/03/1985", date(1985, 3, 12)),
    ("12-03-1985", date(1985, 3, 12)),
    ("12.03.1985", date(1985, 3, 12)),
    ("March 12, 1985", date(1985, 3, 12)),
    ("12th of March 1985", date(1985, 3, 12)),
    ("12/03/85", date(1985, 3, 12)),
    ("01/02/03", date(2003, 2, 1)),
    ("I was born on 5 June 1990", date(1990, 6, 5)),
])
def test_a_date_of_birth_is_read_day_first(text: str, expected: date) -> None:
    assert parse_date_of_birth(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["12 March", "31/02/1985", "friday", "", "1985"])
def test_a_date_of_birth_needs_a_whole_valid_date(text: str) -> None:
    assert parse_date_of_birth(text, today=TODAY) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("the tenth of february nineteen seventy", "the 10th of february 1970"),
    ("february tenth nineteen seventy-two", "february 10th 1972"),
    ("the twenty-first of march two thousand and five", "the 21th of march 2005"),
    ("may five nineteen eighty", "may 5 1980"),
    ("ten march nineteen oh five", "10 march 1905"),
    ("twenty two june two thousand", "22 june 2000"),
    ("i will take the second one", "i will take the 2th one"),
    ("nothing spoken here", "nothing spoken here"),
])
def test_a_spoken_date_is_written_in_digits(text: str, expected: str) -> None:
    assert spoken_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("17061972", date(1972, 6, 17)),
    ("1 7 0 6 1 9 7 2", date(1972, 6, 17)),
    ("17-06-1972", date(1972, 6, 17)),
    ("31021972", None),  # no 31 February
    ("17062030", None),  # not born yet
    ("1706197", None),
    ("170619721", None),
    ("17 June", None),
])
def test_a_keyed_date_of_birth_is_ddmmyyyy(text: str, expected: date | None) -> None:
    assert keyed_date_of_birth(text, today=TODAY) == expected
