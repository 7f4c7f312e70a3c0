"""How a payment is split over what a loan owes. Pure: no database, no clock.

The order is the instalment's age first, then the component: the oldest instalment is paid
in full (penalties, then fees, then interest, then principal) before a cent goes to the next
one. Clearing the oldest arrears first is what stops late fees piling up on a borrower who
is paying; it is also the order `core.loans.delinquency` uses to apply a credit balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from core.errors import ValidationError
from core.loans.models import Component
from core.money import Money, total

ORDER: Final = (Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL)


@dataclass(frozen=True, slots=True)
class Owed:
    """What one instalment still owes, by component (interest only as far as accrued)."""

    instalment_id: int
    due_date: date
    number: int
    penalty: Money
    fee: Money
    interest: Money
    principal: Money

    def component(self, component: Component) -> Money:
        return {
            Component.PENALTY: self.penalty,
            Component.FEE: self.fee,
            Component.INTEREST: self.interest,
            Component.PRINCIPAL: self.principal,
        }[component]

    @property
    def total(self) -> Money:
        return self.penalty + self.fee + self.interest + self.principal


@dataclass(frozen=True, slots=True)
class Share:
    """An amount of the payment going to one component of one instalment."""

    instalment_id: int
    component: Component
    amount: Money


@dataclass(frozen=True, slots=True)
class Split:
    """The shares in the order they were paid, and what was left over."""

    shares: tuple[Share, ...]
    remainder: Money

    def of(self, component: Component) -> Money:
        """The total paid to one component across instalments."""
        return total([s.amount for s in self.shares if s.component is component],
                     self.remainder.currency)

    @property
    def applied(self) -> Money:
        return total([s.amount for s in self.shares], self.remainder.currency)


def allocate(amount: Money, owed: Iterable[Owed]) -> Split:
    """Spend `amount` on `owed`, oldest instalment (due date, then number) first and within
    each instalment penalties → fees → interest → principal. Zero shares are left out.

    `applied + remainder == amount` always. Raises `ValidationError` for a negative amount,
    a negative amount owed, or amounts in another currency.
    """
    if amount.is_negative():
        raise ValidationError(f"Cannot allocate a negative amount ({amount}).")
    ordered: Sequence[Owed] = sorted(owed, key=lambda o: (o.due_date, o.number))
    left = amount
    shares: list[Share] = []
    for row in ordered:
        for component in ORDER:
            due = row.component(component)
            if due.currency != amount.currency:
                raise ValidationError(f"Instalment {row.number} owes {due.currency}, "
                                      f"not {amount.currency}.")
            if due.is_negative():
                raise ValidationError(f"Instalment {row.number} owes a negative {component}.")
            paid = left.min(due)
            if paid.is_positive():
                shares.append(Share(row.instalment_id, component, paid))
                left = left - paid
    return Split(tuple(shares), left)
