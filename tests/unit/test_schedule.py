"""Repayment schedules as worked examples with exact numbers.

Rows are compared as (due date, opening, principal, interest, total, closing) in plain
strings so that each scenario reads like the table a borrower would be shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.errors import ValidationError
from core.loans.schedule import Schedule, apr, build_schedule
from core.loans.terms import (
    DayCount,
    Frequency,
    InterestCalculation,
    InterestMethod,
    LoanTerms,
)
from core.money import Money

Row = tuple[str, str, str, str, str, str]


def terms(**overrides: Any) -> LoanTerms:
    """10,000 at 12% over 12 monthly equal instalments from 15 Jan 2023, unless overridden."""
    values: dict[str, Any] = {
        "principal": Money.of("10000.00"),
        "annual_rate": Decimal("0.12"),
        "term": 12,
        "start_date": date(2023, 1, 15),
    }
    values.update(overrides)
    return LoanTerms(**values)


def table(schedule: Schedule) -> list[Row]:
    return [
        (
            row.due_date.isoformat(),
            str(row.opening_principal.amount),
            str(row.principal.amount),
            str(row.interest.amount),
            str(row.total.amount),
            str(row.closing_principal.amount),
        )
        for row in schedule.instalments
    ]


def totals(schedule: Schedule) -> tuple[str, str, str, str]:
    t = schedule.totals
    return (
        str(t.principal.amount),
        str(t.interest.amount),
        str(t.payable.amount),
        str(t.cost_of_credit.amount),
    )


# --- the textbook case --------------------------------------------------------------------


def test_textbook_10000_at_12_percent_over_12_months_is_888_49_a_month() -> None:
    schedule = build_schedule(terms())
    rows = table(schedule)

    assert len(rows) == 12
    #              due           opening     principal  interest  total     closing
    assert rows[0] == ("2023-02-15", "10000.00", "788.49", "100.00", "888.49", "9211.51")
    assert rows[1] == ("2023-03-15", "9211.51", "796.37", "92.12", "888.49", "8415.14")
    assert all(row[4] == "888.49" for row in rows[:11])
    # The last instalment absorbs the rounding: 879.67 principal + 8.80 interest.
    assert rows[11] == ("2024-01-15", "879.67", "879.67", "8.80", "888.47", "0.00")
    #                         principal   interest  payable     cost of credit
    assert totals(schedule) == ("10000.00", "661.86", "10661.86", "661.86")


def test_textbook_apr_is_the_effective_rate_of_1_percent_a_month() -> None:
    # (1.01 ** 12) - 1 = 12.68%: time is counted in equal months, not in days.
    assert apr(build_schedule(terms())) == Decimal("0.1268")
    assert apr(build_schedule(terms(start_date=date(2024, 1, 31)))) == Decimal("0.1268")
    assert apr(build_schedule(terms()), places=2) == Decimal("0.13")


# --- other methods ------------------------------------------------------------------------


def test_equal_principal_repays_1000_a_month_with_interest_on_the_declining_balance() -> None:
    schedule = build_schedule(
        terms(principal=Money.of("12000"), method=InterestMethod.DECLINING_EQUAL_PRINCIPAL)
    )
    rows = table(schedule)
    assert rows[0] == ("2023-02-15", "12000.00", "1000.00", "120.00", "1120.00", "11000.00")
    assert rows[1] == ("2023-03-15", "11000.00", "1000.00", "110.00", "1110.00", "10000.00")
    assert rows[11] == ("2024-01-15", "1000.00", "1000.00", "10.00", "1010.00", "0.00")
    # 1% of 12,000 + 11,000 + … + 1,000 = 780.
    assert totals(schedule) == ("12000.00", "780.00", "12780.00", "780.00")


def test_equal_principal_splits_an_uneven_amount_by_largest_remainder() -> None:
    schedule = build_schedule(terms(method="declining_equal_principal", annual_rate=Decimal(0)))
    principals = [row[2] for row in table(schedule)]
    assert principals == ["833.34"] * 4 + ["833.33"] * 8


def test_flat_interest_is_charged_on_the_full_amount_for_the_whole_term() -> None:
    schedule = build_schedule(terms(method=InterestMethod.FLAT))
    rows = table(schedule)
    # 10,000 × 12% × 1 year = 1,200, i.e. 100 a month; principal 10,000 / 12 by largest remainder.
    assert rows[0] == ("2023-02-15", "10000.00", "833.34", "100.00", "933.34", "9166.66")
    assert rows[4] == ("2023-06-15", "6666.64", "833.33", "100.00", "933.33", "5833.31")
    assert rows[11] == ("2024-01-15", "833.33", "833.33", "100.00", "933.33", "0.00")
    assert totals(schedule) == ("10000.00", "1200.00", "11200.00", "1200.00")


def test_flat_interest_over_18_months_is_one_and_a_half_years() -> None:
    schedule = build_schedule(terms(method=InterestMethod.FLAT, term=18))
    assert schedule.totals.interest == Money.of("1800.00")


# --- weekly and fortnightly -------------------------------------------------------------------


def test_weekly_5200_at_26_percent_is_half_a_percent_a_week() -> None:
    schedule = build_schedule(
        terms(
            principal=Money.of("5200"),
            annual_rate=Decimal("0.26"),
            term=4,
            frequency=Frequency.WEEKLY,
            start_date=date(2024, 3, 1),
        )
    )
    assert table(schedule) == [
        ("2024-03-08", "5200.00", "1290.29", "26.00", "1316.29", "3909.71"),
        ("2024-03-15", "3909.71", "1296.74", "19.55", "1316.29", "2612.97"),
        ("2024-03-22", "2612.97", "1303.23", "13.06", "1316.29", "1309.74"),
        ("2024-03-29", "1309.74", "1309.74", "6.55", "1316.29", "0.00"),
    ]
    assert totals(schedule) == ("5200.00", "65.16", "5265.16", "65.16")


def test_fortnightly_2600_at_13_percent_is_half_a_percent_a_fortnight() -> None:
    schedule = build_schedule(
        terms(
            principal=Money.of("2600"),
            annual_rate=Decimal("0.13"),
            term=6,
            frequency=Frequency.FORTNIGHTLY,
            start_date=date(2024, 12, 20),
        )
    )
    rows = table(schedule)
    assert rows[0] == ("2025-01-03", "2600.00", "427.95", "13.00", "440.95", "2172.05")
    assert rows[1] == ("2025-01-17", "2172.05", "430.09", "10.86", "440.95", "1741.96")
    assert rows[5] == ("2025-03-14", "438.75", "438.75", "2.19", "440.94", "0.00")
    assert totals(schedule) == ("2600.00", "45.69", "2645.69", "45.69")


# --- daily interest -------------------------------------------------------------------------


def test_daily_interest_counts_the_actual_days_between_due_dates_over_365() -> None:
    schedule = build_schedule(
        terms(
            term=3,
            start_date=date(2024, 1, 15),
            method=InterestMethod.DECLINING_EQUAL_PRINCIPAL,
            calculation=InterestCalculation.DAILY,
            day_count=DayCount.ACT_365,
        )
    )
    assert table(schedule) == [
        # 10,000.00 × 12% × 31/365 = 101.917… (15 Jan → 15 Feb)
        ("2024-02-15", "10000.00", "3333.34", "101.92", "3435.26", "6666.66"),
        # 6,666.66 × 12% × 29/365 = 63.561… (15 Feb → 15 Mar, a leap February)
        ("2024-03-15", "6666.66", "3333.33", "63.56", "3396.89", "3333.33"),
        # 3,333.33 × 12% × 31/365 = 33.972…
        ("2024-04-15", "3333.33", "3333.33", "33.97", "3367.30", "0.00"),
    ]


def test_daily_equal_instalments_are_solved_over_the_actual_periods() -> None:
    schedule = build_schedule(
        terms(start_date=date(2024, 1, 15), calculation=InterestCalculation.DAILY)
    )
    rows = table(schedule)
    assert rows[0] == ("2024-02-15", "10000.00", "786.60", "101.92", "888.52", "9213.40")
    # February 2024 has 29 days, so less interest and more principal than in January.
    assert rows[1] == ("2024-03-15", "9213.40", "800.68", "87.84", "888.52", "8412.72")
    # The level instalment is solved over the real periods: nothing is left for the last.
    assert rows[11] == ("2025-01-15", "879.56", "879.56", "8.96", "888.52", "0.00")
    assert totals(schedule) == ("10000.00", "662.24", "10662.24", "662.24")


def test_daily_interest_under_30_360_gives_every_whole_month_the_same_interest() -> None:
    schedule = build_schedule(
        terms(
            term=2,
            method="declining_equal_principal",
            calculation="daily",
            day_count="30_360",
        )
    )
    assert [row[3] for row in table(schedule)] == ["100.00", "50.00"]


def test_a_long_first_period_capitalises_what_the_level_instalment_cannot_cover() -> None:
    schedule = build_schedule(
        terms(
            annual_rate=Decimal("0.36"),
            term=120,
            start_date=date(2024, 1, 1),
            first_due_date=date(2024, 3, 1),
            calculation=InterestCalculation.DAILY,
        )
    )
    first = schedule.instalments[0]
    # 60 days at 36% is 591.78 of interest; the level instalment pays part, the rest is
    # added to the balance instead of appearing as negative principal.
    assert first.principal == Money.zero()
    assert first.interest == first.total
    assert first.interest + first.capitalised_interest == Money.of("591.78")
    assert first.closing_principal == Money.of("10000") + first.capitalised_interest
    assert schedule.instalments[-1].closing_principal == Money.zero()


# --- zero rate and rounding ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "principals"),
    [
        # 1000 / 3 = 333.333… rounds to 333.33; the last instalment absorbs the extra cent.
        (InterestMethod.DECLINING_EQUAL_INSTALMENT, ["333.33", "333.33", "333.34"]),
        # Largest remainder gives the extra cent to the first part.
        (InterestMethod.DECLINING_EQUAL_PRINCIPAL, ["333.34", "333.33", "333.33"]),
        (InterestMethod.FLAT, ["333.34", "333.33", "333.33"]),
    ],
)
def test_a_zero_rate_product_repays_the_principal_and_nothing_else(
    method: InterestMethod, principals: list[str]
) -> None:
    schedule = build_schedule(
        terms(principal=Money.of("1000"), annual_rate=Decimal(0), term=3, method=method)
    )
    assert [row[2] for row in table(schedule)] == principals
    assert [row[3] for row in table(schedule)] == ["0.00"] * 3
    assert totals(schedule) == ("1000.00", "0.00", "1000.00", "0.00")
    assert apr(schedule) == Decimal("0.0000")


def test_a_zero_rate_equal_instalment_rounds_half_up_and_the_last_absorbs() -> None:
    schedule = build_schedule(terms(principal=Money.of("1000"), annual_rate=Decimal(0), term=6))
    assert [row[4] for row in table(schedule)] == ["166.67"] * 5 + ["166.65"]


def test_a_rounding_multiple_of_one_rounds_the_instalment_up_to_whole_units() -> None:
    schedule = build_schedule(terms(rounding_multiple=Decimal("1")))
    rows = table(schedule)
    assert rows[0] == ("2023-02-15", "10000.00", "789.00", "100.00", "889.00", "9211.00")
    assert rows[1] == ("2023-03-15", "9211.00", "796.89", "92.11", "889.00", "8414.11")
    assert all(row[4] == "889.00" for row in rows[:11])
    assert rows[11] == ("2024-01-15", "873.76", "873.76", "8.74", "882.50", "0.00")
    assert totals(schedule) == ("10000.00", "661.50", "10661.50", "661.50")


def test_a_rounding_multiple_gives_flat_loans_one_level_instalment() -> None:
    schedule = build_schedule(terms(method="flat", rounding_multiple=Decimal("5")))
    assert [row[4] for row in table(schedule)] == ["935.00"] * 11 + ["915.00"]
    assert schedule.totals.payable == Money.of("11200.00")


def test_a_rounding_multiple_rounds_each_equal_principal_instalment_up() -> None:
    schedule = build_schedule(
        terms(
            principal=Money.of("1000"),
            term=4,
            method="declining_equal_principal",
            rounding_multiple=Decimal("1"),
        )
    )
    assert table(schedule) == [
        ("2023-02-15", "1000.00", "250.00", "10.00", "260.00", "750.00"),
        # 250.00 + 7.50 = 257.50 rounds up to 258, so 250.50 of principal.
        ("2023-03-15", "750.00", "250.50", "7.50", "258.00", "499.50"),
        # 499.50 × 1% = 4.995 → 5.00 half up; 250.00 + 5.00 is already whole.
        ("2023-04-15", "499.50", "250.00", "5.00", "255.00", "249.50"),
        ("2023-05-15", "249.50", "249.50", "2.50", "252.00", "0.00"),
    ]


def test_a_rounding_multiple_too_coarse_for_the_loan_is_refused() -> None:
    with pytest.raises(ValidationError, match="would repay the loan at instalment 11"):
        build_schedule(terms(rounding_multiple=Decimal("1000")))


def test_a_few_cents_over_many_instalments_finish_early_rather_than_go_negative() -> None:
    # 0.15 / 10 = 0.015 rounds half up to 0.02, so 0.15 is repaid by the 8th instalment.
    schedule = build_schedule(terms(principal=Money.of("0.15"), annual_rate=Decimal(0), term=10))
    assert [row[2] for row in table(schedule)] == ["0.02"] * 7 + ["0.01", "0.00", "0.00"]


# --- grace ------------------------------------------------------------------------------


def test_principal_grace_makes_the_first_instalments_interest_only() -> None:
    schedule = build_schedule(
        terms(
            principal=Money.of("12000"),
            term=6,
            principal_grace=2,
            method=InterestMethod.DECLINING_EQUAL_PRINCIPAL,
        )
    )
    assert table(schedule) == [
        ("2023-02-15", "12000.00", "0.00", "120.00", "120.00", "12000.00"),
        ("2023-03-15", "12000.00", "0.00", "120.00", "120.00", "12000.00"),
        ("2023-04-15", "12000.00", "3000.00", "120.00", "3120.00", "9000.00"),
        ("2023-05-15", "9000.00", "3000.00", "90.00", "3090.00", "6000.00"),
        ("2023-06-15", "6000.00", "3000.00", "60.00", "3060.00", "3000.00"),
        ("2023-07-15", "3000.00", "3000.00", "30.00", "3030.00", "0.00"),
    ]


def test_interest_grace_capitalises_the_interest_into_the_balance() -> None:
    schedule = build_schedule(terms(term=4, interest_grace=1))
    first = schedule.instalments[0]
    assert first.total == Money.zero()
    assert first.capitalised_interest == Money.of("100.00")
    assert first.closing_principal == Money.of("10100.00")
    # The capitalised 10,100 is then amortised over the remaining three months at 1%.
    assert table(schedule)[1:] == [
        ("2023-03-15", "10100.00", "3333.22", "101.00", "3434.22", "6766.78"),
        ("2023-04-15", "6766.78", "3366.55", "67.67", "3434.22", "3400.23"),
        ("2023-05-15", "3400.23", "3400.23", "34.00", "3434.23", "0.00"),
    ]
    t = schedule.totals
    assert (t.principal, t.capitalised_interest, t.interest) == (
        Money.of("10100.00"),
        Money.of("100.00"),
        Money.of("202.67"),
    )
    # The capitalised interest is a cost of credit even though it is repaid as principal.
    assert t.cost_of_credit == Money.of("302.67")


def test_flat_interest_grace_spreads_the_interest_over_the_later_instalments() -> None:
    schedule = build_schedule(terms(term=6, method="flat", principal_grace=2, interest_grace=1))
    assert [(row[2], row[3]) for row in table(schedule)] == [
        ("0.00", "0.00"),
        ("0.00", "120.00"),
        ("2500.00", "120.00"),
        ("2500.00", "120.00"),
        ("2500.00", "120.00"),
        ("2500.00", "120.00"),
    ]


# --- financed fees ----------------------------------------------------------------------


def test_financed_fees_earn_interest_and_count_in_the_cost_of_credit_and_apr() -> None:
    plain = build_schedule(terms())
    with_fee = build_schedule(terms(financed_fees=Money.of("200")))
    assert with_fee.instalments[0].opening_principal == Money.of("10200.00")
    assert with_fee.totals.principal == Money.of("10200.00")
    # Cost of credit is measured against the 10,000 the borrower received.
    assert with_fee.totals.cost_of_credit == with_fee.totals.payable - Money.of("10000")
    assert with_fee.totals.cost_of_credit > plain.totals.cost_of_credit + Money.of("200")
    assert apr(with_fee) > apr(plain)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"principal": Money.of("0")}, "principal must be more than zero"),
        ({"principal": Money.of("-5")}, "principal must be more than zero"),
        ({"principal": Decimal("100")}, "principal must be a Money amount"),
        ({"annual_rate": Decimal("-0.01")}, "rate cannot be negative"),
        ({"annual_rate": Decimal("12")}, "pass 0.12 for 12%"),
        ({"annual_rate": Decimal("NaN")}, "must be an exact Decimal"),
        ({"annual_rate": 0.12}, "must be an exact Decimal"),
        ({"term": 0}, "term must be between 1 and 600"),
        ({"term": 601}, "term must be between 1 and 600"),
        ({"term": True}, "term must be a whole number"),
        ({"principal_grace": 12}, r"principal grace \(12\) must be shorter than the term"),
        ({"interest_grace": 13}, r"interest grace \(13\) must be shorter than the term"),
        ({"principal_grace": -1}, "principal grace cannot be negative"),
        ({"frequency": "daily"}, "not a repayment frequency; use one of: monthly"),
        ({"method": "balloon"}, "not an interest method"),
        ({"day_count": "act_360"}, "not a day-count convention"),
        ({"start_date": "2024-01-01"}, "start date must be a calendar date"),
        ({"first_due_date": date(2023, 1, 15)}, "must be after the start date"),
        ({"first_due_date": date(2023, 3, 16)}, "more than two periods after the start"),
        ({"financed_fees": Money.of("-1")}, "fees cannot be negative"),
        ({"financed_fees": Money.of("1", "USD")}, "must be Money in TTD"),
        ({"rounding_multiple": Decimal("0")}, "rounding multiple must be a positive"),
        ({"rounding_multiple": Decimal("0.001")}, "finer than TTD allows"),
    ],
)
def test_bad_terms_are_refused_with_a_clear_message(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        terms(**overrides)


def test_terms_are_immutable() -> None:
    loan = terms()
    with pytest.raises(AttributeError):
        loan.term = 24  # type: ignore[misc]
