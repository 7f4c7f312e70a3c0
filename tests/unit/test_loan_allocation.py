"""Worked examples of how a payment is split, and of the daily accrual formula."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.loans.accrual import accrued_through
from core.loans.allocation import Owed, Share, allocate
from core.loans.delinquency import days_past_due
from core.loans.models import Component
from core.money import Money

PEN, FEE, INT, PRI = Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL


def m(value: str) -> Money:
    return Money.of(value)


def owed(row_id: int, due: dt.date, *, penalty: str = "0", fee: str = "0", interest: str = "0",
         principal: str = "0") -> Owed:
    return Owed(row_id, due, row_id, m(penalty), m(fee), m(interest), m(principal))


FEB, MAR = dt.date(2024, 2, 15), dt.date(2024, 3, 15)
FIRST = owed(1, FEB, penalty="50.00", interest="100.00", principal="788.49")
SECOND = owed(2, MAR, penalty="50.00", fee="25.00", interest="92.12", principal="796.37")


def test_the_oldest_instalment_is_paid_in_full_before_the_next_one_gets_anything() -> None:
    # 1 000.00 against two overdue instalments with a late fee each:
    #   instalment 1: penalty 50.00, interest 100.00, principal 788.49  → 938.49, all paid
    #   instalment 2: penalty 50.00, then fee 11.51 of 25.00           →  61.51
    split = allocate(m("1000.00"), [SECOND, FIRST])
    assert split.shares == (
        Share(1, PEN, m("50.00")), Share(1, INT, m("100.00")), Share(1, PRI, m("788.49")),
        Share(2, PEN, m("50.00")), Share(2, FEE, m("11.51")),
    )
    assert split.remainder == Money.zero()
    assert split.of(PEN) == m("100.00") and split.of(PRI) == m("788.49")


def test_what_is_left_after_everything_owed_is_the_remainder() -> None:
    # Owed in total: 938.49 + 963.49 = 1 901.98; 2 000.00 leaves 98.02.
    split = allocate(m("2000.00"), [FIRST, SECOND])
    assert split.applied == m("1901.98")
    assert split.remainder == m("98.02")
    assert split.applied + split.remainder == m("2000.00")


def test_same_due_date_goes_by_instalment_number_and_zero_shares_are_left_out() -> None:
    a = owed(7, FEB, interest="10.00")
    b = owed(3, FEB, principal="5.00")
    split = allocate(m("12.00"), [a, b])
    assert split.shares == (Share(3, PRI, m("5.00")), Share(7, INT, m("7.00")))


def test_nothing_owed_keeps_the_whole_payment() -> None:
    split = allocate(m("10.00"), [])
    assert split.shares == () and split.remainder == m("10.00")


@pytest.mark.parametrize("bad", [
    [owed(1, FEB, interest="-1.00")],
    [Owed(1, FEB, 1, Money.of("1", "USD"), m("0"), m("0"), m("0"))],
])
def test_bad_amounts_owed_are_refused(bad: list[Owed]) -> None:
    with pytest.raises(ValidationError):
        allocate(m("10.00"), bad)


def test_a_negative_payment_is_refused() -> None:
    with pytest.raises(ValidationError, match="negative"):
        allocate(m("-1.00"), [FIRST])


def accrued(day: dt.date, interest: str = "92.12", carried: str = "0") -> Decimal:
    return accrued_through(interest_due=Decimal(interest), interest_carried=Decimal(carried),
                           period_start=FEB, due_date=MAR, through=day)


def test_accrual_spreads_the_scheduled_interest_over_the_actual_days_rounding_down() -> None:
    # 15 Feb → 15 Mar 2024 is 29 days (a leap year). 92.12 × 1/29 = 3.1765… → 3.17.
    assert accrued(FEB) == Decimal("0.00")
    assert accrued(dt.date(2024, 2, 16)) == Decimal("3.17")
    assert accrued(dt.date(2024, 3, 1)) == Decimal("47.64")  # 92.12 × 15/29 = 47.648…
    assert accrued(dt.date(2024, 3, 14)) == Decimal("88.94")  # 92.12 × 28/29 = 88.943…
    assert accrued(MAR) == Decimal("92.12")  # the last day takes the rounding
    assert accrued(dt.date(2024, 4, 30)) == Decimal("92.12")
    assert accrued(dt.date(2024, 1, 1)) == Decimal("0.00")


def test_daily_increments_are_never_negative_and_add_up_to_the_instalment_interest() -> None:
    days = [FEB + dt.timedelta(days=n) for n in range(30)]
    values = [accrued(day) for day in days]
    increments = [b - a for a, b in itertools.pairwise(values)]
    assert min(increments) >= 0
    assert sum(increments) == Decimal("92.12")


def test_interest_carried_from_an_earlier_schedule_is_accrued_from_the_start() -> None:
    # 13.57 carried; the 92.12 − 13.57 = 78.55 earned over the period.
    assert accrued(FEB, interest="92.12", carried="13.57") == Decimal("13.57")
    # 13.57 + ⌊78.55 × 15/29⌋ = 13.57 + 40.62
    assert accrued(dt.date(2024, 3, 1), carried="13.57") == Decimal("54.19")
    assert accrued(MAR, carried="13.57") == Decimal("92.12")


def test_days_past_due_count_from_the_oldest_unpaid_due_date() -> None:
    assert days_past_due(None, MAR) == 0
    assert days_past_due(MAR, MAR) == 0
    assert days_past_due(dt.date(2024, 2, 29), dt.date(2024, 3, 31)) == 31
    assert days_past_due(dt.date(2024, 2, 29), dt.date(2024, 2, 1)) == 0
