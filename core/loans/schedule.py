"""Repayment schedules: `build_schedule(terms)` and `apr(schedule)`.

Rounding contract (every amount is exact `Decimal` money; no floats anywhere):
- each period's interest is balance × annual rate × period fraction, computed exactly and
  rounded once, HALF_UP, to the currency (the period fraction is 1/periods-per-year for
  PER_PERIOD, the day-count year fraction between due dates for DAILY);
- equal instalments come from the annuity formula (PER_PERIOD) or its exact generalisation
  to unequal periods (DAILY), computed at 50 significant digits and rounded HALF_UP;
  the instalment's principal is the instalment less that period's interest;
- equal principal splits the balance by largest remainder (`Money.split`); flat interest is
  amount × rate × term in years, rounded HALF_UP and spread by largest remainder;
- with a rounding multiple, each regular instalment that repays principal is rounded UP to
  the multiple (equal instalment and flat: one level amount; equal principal: row by row);
- the LAST instalment repays whatever balance is left, so the principal column sums exactly
  to the amount financed plus any capitalised interest, and the closing balance is zero.
If a DAILY period is so long that the level instalment does not cover its interest, the
shortfall is capitalised (shown in `capitalised_interest`) rather than paid as a negative
principal. Fees are financed into the principal; the `fee` column is zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal, localcontext
from fractions import Fraction

from core.errors import ValidationError
from core.loans.calendar import Frequency, due_dates, elapsed, year_fraction
from core.loans.terms import InterestCalculation, InterestMethod, LoanTerms
from core.money import HALF_UP, Money, round_money

__all__ = ["Instalment", "Schedule", "ScheduleTotals", "apr", "build_schedule"]

_PRECISION = 50
_ZERO = Decimal(0)
_ONE = Decimal(1)

# One computed row: capitalised interest, principal, interest, closing balance.
_Row = tuple[Decimal, Decimal, Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Instalment:
    """One row. `total` = principal + interest + fee; `closing_principal` = opening +
    capitalised interest − principal."""

    number: int
    due_date: date
    opening_principal: Money
    capitalised_interest: Money
    principal: Money
    interest: Money
    fee: Money
    total: Money
    closing_principal: Money


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    """Column sums, and the cost of credit: total payable − principal disbursed."""

    principal: Money
    interest: Money
    capitalised_interest: Money
    fees: Money
    payable: Money
    cost_of_credit: Money


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule: the terms it was built from, its rows and their totals."""

    terms: LoanTerms
    instalments: tuple[Instalment, ...]
    totals: ScheduleTotals


def build_schedule(terms: LoanTerms) -> Schedule:
    """Build the repayment schedule for `terms` (see the module docstring for the rules).

    Raises ValidationError when the rounding multiple is so large that regular instalments
    would repay the loan before the last one.
    """
    dates = due_dates(terms.start_date, terms.frequency, terms.term, first_due=terms.first_due_date)
    if terms.calculation is InterestCalculation.DAILY:
        previous = [terms.start_date, *dates[:-1]]
        fractions = [
            year_fraction(a, b, terms.day_count) for a, b in zip(previous, dates, strict=True)
        ]
    else:
        fractions = [Fraction(1, terms.frequency.periods_per_year)] * terms.term
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if terms.method is InterestMethod.FLAT:
            rows = _flat_rows(terms, fractions)
        else:
            rows = _declining_rows(terms, fractions)
    return _assemble(terms, dates, rows)


def _interest(balance: Decimal, terms: LoanTerms, fraction: Fraction) -> Decimal:
    exact = balance * terms.annual_rate * fraction.numerator / fraction.denominator
    return round_money(exact, terms.currency, mode=HALF_UP)


def _round_up(amount: Decimal, multiple: Decimal | None) -> Decimal:
    if multiple is None:
        return amount
    return (amount / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def _level_instalment(balance: Decimal, terms: LoanTerms, fractions: Sequence[Fraction]) -> Decimal:
    """The equal instalment that repays `balance` over `fractions` (periods as year parts)."""
    count = len(fractions)
    rate = terms.annual_rate
    if rate == 0:
        level = balance / count
    elif terms.calculation is InterestCalculation.PER_PERIOD:
        r = rate / terms.frequency.periods_per_year
        level = balance * r / (_ONE - (_ONE + r) ** -count)
    else:
        # Level X with B·Π(1+r_i) = X·Σ_k Π_{j>k}(1+r_j): the balance compounds period by period.
        growth, annuity = _ONE, _ZERO
        for fraction in reversed(fractions):
            annuity += growth
            growth *= _ONE + rate * fraction.numerator / fraction.denominator
        level = balance * growth / annuity
    return round_money(level, terms.currency, mode=HALF_UP)


def _grace_rows(terms: LoanTerms, fractions: Sequence[Fraction]) -> tuple[list[_Row], Decimal]:
    rows: list[_Row] = []
    balance = terms.financed_amount.amount
    for index in range(terms.deferred_instalments):
        accrued = _interest(balance, terms, fractions[index])
        if index < terms.interest_grace:
            balance += accrued
            rows.append((accrued, _ZERO, _ZERO, balance))
        else:
            rows.append((_ZERO, _ZERO, accrued, balance))
    return rows, balance


def _repay(terms: LoanTerms, number: int, principal: Decimal, balance: Decimal) -> Decimal:
    """A regular instalment's principal, kept within the balance still owed."""
    if principal <= balance:
        return principal
    if terms.rounding_multiple is not None:
        raise ValidationError(
            f"Rounding instalments up to a multiple of {terms.rounding_multiple} would repay "
            f"the loan at instalment {number}, before the last ({terms.term}); "
            "use a smaller multiple."
        )
    return balance  # only a few cents over many instalments can get here


def _declining_rows(terms: LoanTerms, fractions: Sequence[Fraction]) -> list[_Row]:
    rows, balance = _grace_rows(terms, fractions)
    first, last = len(rows), len(fractions) - 1
    equal_instalment = terms.method is InterestMethod.DECLINING_EQUAL_INSTALMENT
    if equal_instalment:
        level = _level_instalment(balance, terms, fractions[first:])
        level = _round_up(level, terms.rounding_multiple)
    else:
        parts = [m.amount for m in Money(balance, terms.currency).split(last + 1 - first)]
    for index in range(first, last + 1):
        interest = _interest(balance, terms, fractions[index])
        capitalised = _ZERO
        if index == last:
            principal = balance
        else:
            if equal_instalment:
                principal = level - interest
            else:
                share = parts[index - first]
                principal = _round_up(share + interest, terms.rounding_multiple) - interest
            if principal < 0:  # a long DAILY period: capitalise what the instalment misses
                capitalised, interest, principal = -principal, interest + principal, _ZERO
            principal = _repay(terms, index + 1, principal, balance)
        balance = balance + capitalised - principal
        rows.append((capitalised, principal, interest, balance))
    return rows


def _flat_rows(terms: LoanTerms, fractions: Sequence[Fraction]) -> list[_Row]:
    amount = terms.financed_amount
    count, deferred = len(fractions), terms.deferred_instalments
    paying = count - terms.interest_grace
    if terms.calculation is InterestCalculation.PER_PERIOD:
        years = Fraction(count, terms.frequency.periods_per_year)
    else:
        years = sum(fractions, Fraction(0))
    flat = Money(_interest(amount.amount, terms, years), amount.currency)
    interest_parts = [_ZERO] * (count - paying) + [m.amount for m in flat.split(paying)]
    principal_parts = [_ZERO] * deferred + [m.amount for m in amount.split(count - deferred)]
    last = count - 1
    level: Decimal | None = None
    if terms.rounding_multiple is not None and deferred < last:
        natural = max(principal_parts[i] + interest_parts[i] for i in range(deferred, last))
        level = _round_up(natural, terms.rounding_multiple)
    rows: list[_Row] = []
    balance = amount.amount
    for index, (principal, interest) in enumerate(
        zip(principal_parts, interest_parts, strict=True)
    ):
        if index == last:
            principal = balance
        elif level is not None and index >= deferred:
            principal = _repay(terms, index + 1, level - interest, balance)
        balance -= principal
        rows.append((_ZERO, principal, interest, balance))
    return rows


class _Column:
    """Money for one column, reusing the previous row's (immutable) instance when the amount
    repeats, as level instalments and equal parts do: building Money is the main cost."""

    __slots__ = ("currency", "last")

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.last = Money.zero(currency)

    def __call__(self, amount: Decimal) -> Money:
        if amount != self.last.amount:
            self.last = Money(amount, self.currency)
        return self.last


def _assemble(terms: LoanTerms, dates: Sequence[date], rows: Sequence[_Row]) -> Schedule:
    currency = terms.currency
    zero = Money.zero(currency)
    capitalised_money, principal_money, interest_money, total_money = (
        _Column(currency) for _ in range(4)
    )
    instalments: list[Instalment] = []
    opening = terms.financed_amount
    capitalised_sum = principal_sum = interest_sum = _ZERO
    for number, (due, (capitalised, principal, interest, closing)) in enumerate(
        zip(dates, rows, strict=True), start=1
    ):
        capitalised_sum += capitalised
        principal_sum += principal
        interest_sum += interest
        closing_money = Money(closing, currency)
        instalments.append(
            Instalment(
                number=number,
                due_date=due,
                opening_principal=opening,
                capitalised_interest=capitalised_money(capitalised),
                principal=principal_money(principal),
                interest=interest_money(interest),
                fee=zero,
                total=total_money(principal + interest),
                closing_principal=closing_money,
            )
        )
        opening = closing_money
    payable = Money(principal_sum + interest_sum, currency)
    totals = ScheduleTotals(
        principal=Money(principal_sum, currency),
        interest=Money(interest_sum, currency),
        capitalised_interest=Money(capitalised_sum, currency),
        fees=zero,
        payable=payable,
        cost_of_credit=payable - terms.principal,
    )
    return Schedule(terms=terms, instalments=tuple(instalments), totals=totals)


def apr(schedule: Schedule, *, places: int = 4) -> Decimal:
    """The annual percentage rate of `schedule`, as a fraction rounded HALF_UP to `places`.

    The effective annual rate i at which the instalments, each discounted by (1 + i) ** t,
    add up to the principal disbursed, so financed fees count as a cost. As in EU Consumer
    Credit Directive Annex I, t is in years of 12 equal months (monthly schedules) or 52
    weeks (weekly, fortnightly), plus any odd days over 365: the textbook 1% a month is
    12.68% whatever the month lengths. Solved by Newton's method on the log of the present
    value as a function of x = ln(1 + i), which is convex and decreasing (a log-sum-exp), so
    iterating from 0 never overshoots and a single payment converges in one step.
    """
    if places < 0:
        raise ValidationError("APR places cannot be negative.")
    terms = schedule.terms
    units = 12 if terms.frequency is Frequency.MONTHLY else 52
    flows = [
        (*elapsed(terms.start_date, row.due_date, terms.frequency), row.total.amount)
        for row in schedule.instalments
        if row.total
    ]
    disbursed = terms.principal.amount
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        tolerance = Decimal(1).scaleb(-(places + 12))
        x = _ZERO
        for _ in range(100):
            per_unit, per_day = (-x / units).exp(), (-x / 365).exp()
            value, slope = _ZERO, _ZERO
            for whole, days, amount in flows:
                discounted = amount * per_unit**whole * per_day**days
                value += discounted
                slope -= discounted * (Decimal(whole) / units + Decimal(days) / 365)
            if value <= disbursed:
                break
            step = (value / disbursed).ln() * value / slope
            x -= step
            if -step < tolerance:
                break
        else:
            raise ValidationError("The APR of this schedule could not be computed.")
        rate = x.exp() - 1
        ctx.prec = max(_PRECISION, rate.adjusted() + places + 2)
        return rate.quantize(Decimal(1).scaleb(-places), rounding=HALF_UP)
