"""Due dates and day counts, as worked examples."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from core.errors import ValidationError
from core.loans.calendar import (
    DayCount,
    Frequency,
    add_months,
    days_30_360,
    days_in_month,
    due_dates,
    elapsed,
    year_fraction,
)

# --- month-end stepping -------------------------------------------------------------------


def test_a_loan_due_on_31_january_2024_falls_due_on_29_february_then_31_march() -> None:
    dates = due_dates(date(2024, 1, 1), Frequency.MONTHLY, 4, first_due=date(2024, 1, 31))
    assert dates == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_in_2023_the_february_date_is_the_28th() -> None:
    dates = due_dates(date(2023, 1, 1), Frequency.MONTHLY, 3, first_due=date(2023, 1, 31))
    assert dates == [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]


def test_steps_come_from_the_anchor_not_from_the_clipped_date() -> None:
    # Stepping from 29 Feb would give 29 Mar; stepping from the anchor keeps the 30th.
    dates = due_dates(date(2024, 1, 2), Frequency.MONTHLY, 3, first_due=date(2024, 1, 30))
    assert dates == [date(2024, 1, 30), date(2024, 2, 29), date(2024, 3, 30)]


def test_without_a_first_due_date_the_schedule_is_anchored_on_the_disbursement_day() -> None:
    dates = due_dates(date(2023, 12, 31), Frequency.MONTHLY, 4)
    assert dates == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_monthly_dates_cross_the_year_end() -> None:
    assert due_dates(date(2024, 10, 15), Frequency.MONTHLY, 4) == [
        date(2024, 11, 15),
        date(2024, 12, 15),
        date(2025, 1, 15),
        date(2025, 2, 15),
    ]


def test_leap_years_follow_the_gregorian_century_rule() -> None:
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2000, 2) == 29
    assert days_in_month(2100, 2) == 28
    assert add_months(date(2099, 11, 30), 3) == date(2100, 2, 28)


# --- weekly and fortnightly ----------------------------------------------------------------


def test_weekly_dates_are_seven_days_apart() -> None:
    assert due_dates(date(2024, 2, 20), Frequency.WEEKLY, 3) == [
        date(2024, 2, 27),
        date(2024, 3, 5),
        date(2024, 3, 12),
    ]


def test_fortnightly_dates_are_fourteen_days_apart_from_the_first_due_date() -> None:
    dates = due_dates(date(2024, 12, 1), Frequency.FORTNIGHTLY, 3, first_due=date(2024, 12, 20))
    assert dates == [date(2024, 12, 20), date(2025, 1, 3), date(2025, 1, 17)]


def test_periods_per_year() -> None:
    assert [f.periods_per_year for f in Frequency] == [12, 26, 52]


# --- day counts ----------------------------------------------------------------------------


def test_act_365_counts_actual_days_over_365_even_in_a_leap_year() -> None:
    assert year_fraction(date(2024, 1, 15), date(2024, 2, 15), DayCount.ACT_365) == Fraction(
        31, 365
    )
    assert year_fraction(date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_365) == Fraction(366, 365)


def test_act_act_isda_splits_the_days_by_calendar_year() -> None:
    # 15 Dec 2023 → 1 Jan 2024 is 17 days of a 365-day year; 1 Jan → 15 Jan 2024 is 14 of 366.
    fraction = year_fraction(date(2023, 12, 15), date(2024, 1, 15), DayCount.ACT_ACT)
    assert fraction == Fraction(17, 365) + Fraction(14, 366)
    assert year_fraction(date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_ACT) == 1
    assert year_fraction(date(2024, 2, 1), date(2024, 3, 1), DayCount.ACT_ACT) == Fraction(29, 366)


def test_thirty_360_bond_basis() -> None:
    assert days_30_360(date(2024, 1, 15), date(2024, 2, 15)) == 30
    # D1 = 31 becomes 30, so 31 Jan → 29 Feb is 29 days.
    assert days_30_360(date(2024, 1, 31), date(2024, 2, 29)) == 29
    # No end-of-February rule in the bond basis: D1 = 29 stays, and D2 = 31 stays with it.
    assert days_30_360(date(2024, 2, 29), date(2024, 3, 31)) == 32
    # D2 = 31 becomes 30 when D1 is 30 or 31.
    assert days_30_360(date(2024, 1, 30), date(2024, 3, 31)) == 60
    assert days_30_360(date(2024, 3, 31), date(2024, 4, 30)) == 30
    assert year_fraction(date(2024, 1, 15), date(2025, 1, 15), DayCount.THIRTY_360) == 1
    assert year_fraction(date(2024, 1, 15), date(2024, 2, 15), DayCount.THIRTY_360) == Fraction(
        1, 12
    )


def test_elapsed_time_is_whole_months_or_weeks_plus_odd_days() -> None:
    assert elapsed(date(2024, 1, 31), date(2024, 2, 29), Frequency.MONTHLY) == (1, 0)
    assert elapsed(date(2024, 1, 15), date(2024, 3, 1), Frequency.MONTHLY) == (1, 15)
    assert elapsed(date(2023, 1, 15), date(2024, 1, 15), Frequency.MONTHLY) == (12, 0)
    assert elapsed(date(2024, 3, 1), date(2024, 3, 19), Frequency.WEEKLY) == (2, 4)
    assert elapsed(date(2024, 3, 1), date(2024, 3, 29), Frequency.FORTNIGHTLY) == (4, 0)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match=r"ends .* before it starts"):
        year_fraction(date(2024, 2, 1), date(2024, 1, 1), DayCount.ACT_365)
    with pytest.raises(ValidationError, match=r"ends .* before it starts"):
        elapsed(date(2024, 2, 1), date(2024, 1, 1), Frequency.MONTHLY)


def test_a_schedule_needs_at_least_one_date() -> None:
    with pytest.raises(ValidationError, match="at least one due date"):
        due_dates(date(2024, 1, 1), Frequency.MONTHLY, 0)


def test_dates_past_the_end_of_the_calendar_are_refused() -> None:
    with pytest.raises(ValidationError, match="end of the calendar"):
        add_months(date(9999, 6, 1), 12)
    with pytest.raises(ValidationError, match="end of the calendar"):
        due_dates(date(9999, 12, 1), Frequency.WEEKLY, 10)
