"""The largest instalment of a schedule, worked out without building the schedule.

Affordability reads one figure from a loan's schedule: its largest instalment (the
`new_instalment` fact). The counter-offer search prices several candidates for each
applicant, and `core.loans.schedule.build_schedule` spends most of its time on what
affordability never reads: due dates, `Money` columns and `Instalment` rows.
`largest_instalment` runs the schedule's own arithmetic (the same formulas, operation order,
50-digit precision and HALF_UP rounding to the currency) on bare `Decimal` balances, and only
keeps the largest total.

Which row is largest depends on rounding, so it is found, not assumed: an equal instalment
is usually the largest, but the last instalment repays whatever balance the rounded
instalments leave, and can be a few cents more. Each regular instalment's interest is rounded
on its own balance, so the balance before the last one has no closed form; it is carried
forward period by period (a few Decimal operations each). The rare branches where the
schedule deviates from its regular pattern (a rounding multiple that would repay the loan
early, a DAILY period whose interest exceeds the level instalment) are handed to
`build_schedule` itself. A property test holds this to `build_schedule` over random terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Final

from core.loans.calendar import DayCount, Frequency, due_dates, year_fraction
from core.loans.schedule import build_schedule
from core.loans.terms import InterestCalculation, InterestMethod, LoanTerms
from core.money import HALF_UP, Money, exponent

_PRECISION: Final = 50
"""As `core.loans.schedule`: the precision its formulas are evaluated at."""
_ONE: Final = Decimal(1)
_ZERO: Final = Decimal(0)

_Period = tuple[Decimal, Decimal]
"""A period as a fraction of a year: (numerator, denominator), as the schedule applies it."""


def largest_instalment(terms: LoanTerms) -> Decimal:
    """The largest instalment total of `build_schedule(terms)`, to the cent; raises what
    `build_schedule` raises for these terms."""
    fractions, periods = _periods(terms.calculation, terms.frequency, terms.term,
                                  terms.start_date, terms.first_due_date, terms.day_count)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if terms.method is InterestMethod.FLAT:
            found = _largest_flat(terms, fractions)
        else:
            found = _largest_declining(terms, periods)
    if found is None:
        return max(row.total.amount for row in build_schedule(terms).instalments)
    return found


@lru_cache(maxsize=1024)
def _periods(
    calculation: InterestCalculation, frequency: Frequency, term: int, start: date,
    first_due: date | None, day_count: DayCount,
) -> tuple[tuple[Fraction, ...], tuple[_Period, ...]]:
    """Each period as a fraction of a year (DAILY: the day count between due dates), also
    as Decimal numerator and denominator. Shared by every loan priced from the same date."""
    if calculation is InterestCalculation.PER_PERIOD:
        fractions: tuple[Fraction, ...] = (Fraction(1, frequency.periods_per_year),) * term
    else:
        dates = due_dates(start, frequency, term, first_due=first_due)
        previous = [start, *dates[:-1]]
        fractions = tuple(year_fraction(a, b, day_count)
                          for a, b in zip(previous, dates, strict=True))
    return fractions, tuple((Decimal(f.numerator), Decimal(f.denominator)) for f in fractions)


def _round_up(amount: Decimal, multiple: Decimal | None) -> Decimal:
    if multiple is None:
        return amount
    return (amount / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def _level(terms: LoanTerms, balance: Decimal, periods: Sequence[_Period],
           quantum: Decimal) -> Decimal:
    """The equal instalment repaying `balance` over `periods`, before any rounding multiple."""
    count = len(periods)
    rate = terms.annual_rate
    if rate == 0:
        level = balance / count
    elif terms.calculation is InterestCalculation.PER_PERIOD:
        r = rate / terms.frequency.periods_per_year
        level = balance * r / (_ONE - (_ONE + r) ** -count)
    else:
        growth, annuity = _ONE, _ZERO
        for numerator, denominator in reversed(periods):
            annuity += growth
            growth *= _ONE + rate * numerator / denominator
        level = balance * growth / annuity
    return level.quantize(quantum, HALF_UP)


def _largest_declining(terms: LoanTerms, periods: Sequence[_Period]) -> Decimal | None:
    # Decimal.quantize is given its rounding positionally: as a keyword it costs twice as much.
    rate, quantum, multiple = terms.annual_rate, exponent(terms.currency), terms.rounding_multiple
    balance = terms.financed_amount.amount
    largest = _ZERO
    first, last = terms.deferred_instalments, len(periods) - 1
    for index, (numerator, denominator) in enumerate(periods[:first]):
        accrued = (balance * rate * numerator / denominator).quantize(quantum, HALF_UP)
        if index < terms.interest_grace:
            balance += accrued  # capitalised: nothing is paid
        else:
            largest = max(largest, accrued)
    if terms.method is InterestMethod.DECLINING_EQUAL_INSTALMENT:
        level = _round_up(_level(terms, balance, periods[first:], quantum), multiple)
        for numerator, denominator in periods[first:last]:
            interest = (balance * rate * numerator / denominator).quantize(quantum, HALF_UP)
            principal = level - interest
            if principal < 0 or principal > balance:
                return None
            balance -= principal
        if first < last:
            # Every regular row's total is (level − interest) + interest: the level, to the cent.
            largest = max(largest, level + _ZERO.quantize(quantum))
    else:
        parts = Money(balance, terms.currency).split(last + 1 - first)
        for (numerator, denominator), part in zip(periods[first:last], parts, strict=False):
            interest = (balance * rate * numerator / denominator).quantize(quantum, HALF_UP)
            principal = _round_up(part.amount + interest, multiple) - interest
            if principal < 0 or principal > balance:
                return None
            largest = max(largest, principal + interest)
            balance -= principal
    numerator, denominator = periods[last]
    interest = (balance * rate * numerator / denominator).quantize(quantum, HALF_UP)
    return max(largest, balance + interest)


def _largest_flat(terms: LoanTerms, fractions: Sequence[Fraction]) -> Decimal | None:
    amount = terms.financed_amount
    count, deferred = len(fractions), terms.deferred_instalments
    paying = count - terms.interest_grace
    if terms.calculation is InterestCalculation.PER_PERIOD:
        years = Fraction(count, terms.frequency.periods_per_year)
    else:
        years = sum(fractions, Fraction(0))
    exact = amount.amount * terms.annual_rate * years.numerator / years.denominator
    flat = Money(exact.quantize(exponent(terms.currency), rounding=HALF_UP), amount.currency)
    interest = [_ZERO] * (count - paying) + [m.amount for m in flat.split(paying)]
    principal = [_ZERO] * deferred + [m.amount for m in amount.split(count - deferred)]
    last = count - 1
    level = None
    if terms.rounding_multiple is not None and deferred < last:
        level = _round_up(max(principal[i] + interest[i] for i in range(deferred, last)),
                          terms.rounding_multiple)
    balance = amount.amount
    largest = _ZERO
    for index in range(last):
        paid = principal[index]
        if level is not None and index >= deferred:
            paid = level - interest[index]
            if paid > balance:
                return None
        largest = max(largest, paid + interest[index])
        balance -= paid
    return max(largest, balance + interest[last])
