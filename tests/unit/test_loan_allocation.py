"""Worked examples of how a payment is split (`core.loans.allocation`)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ValidationError
from core.loans.allocation import Owed, Share, allocate
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
