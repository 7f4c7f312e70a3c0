"""Due dates and day counts.

- Monthly due dates step by calendar months from one anchor date and clip to the month's
  last day: anchored on 31 January they fall on 29 February 2024 (28 February 2023), then
  31 March. Every date is computed from the anchor, never from the previous clipped date,
  so a short month never drags the rest of the schedule forward.
- Fortnightly and weekly due dates step by 14 and 7 days.
- Year fractions are exact `Fraction`s, so interest can be computed with a single division
  and rounded once:
  - ACT_365: Actual/365 Fixed, actual days / 365;
  - ACT_ACT: Actual/Actual ISDA, the days falling in each calendar year divided by that
    year's length (365 or 366), summed;
  - THIRTY_360: 30/360 Bond Basis (ISDA 2006 §4.16(f)): D1 = 31 becomes 30; D2 = 31 becomes
    30 only when D1 is then 30. There is no end-of-February rule (that is the "US"/SIA
    variant, which we do not implement), so 28 Feb → 31 Mar counts 33 days.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from core.errors import ValidationError


class Frequency(StrEnum):
    """How often instalments fall due."""

    MONTHLY = "monthly"
    FORTNIGHTLY = "fortnightly"
    WEEKLY = "weekly"

    @property
    def periods_per_year(self) -> int:
        """12, 26 or 52: the divisor of the nominal annual rate for per-period interest."""
        return _PERIODS_PER_YEAR[self]


_PERIODS_PER_YEAR = {Frequency.MONTHLY: 12, Frequency.FORTNIGHTLY: 26, Frequency.WEEKLY: 52}
_DAYS_PER_STEP = {Frequency.FORTNIGHTLY: 14, Frequency.WEEKLY: 7}


class DayCount(StrEnum):
    """Day-count conventions for daily interest (see the module docstring)."""

    ACT_365 = "act_365"
    ACT_ACT = "act_act"
    THIRTY_360 = "30_360"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap_year(year: int) -> bool:
    """Gregorian leap year: divisible by 4, except centuries not divisible by 400."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    """28 to 31: the number of days in `month` of `year` (Gregorian)."""
    if month == 2 and is_leap_year(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by whole calendar months, clipped to the target month's last day."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise ValidationError("That schedule runs past the end of the calendar.")
    return date(year, month, min(anchor.day, days_in_month(year, month)))


def step(anchor: date, frequency: Frequency, periods: int) -> date:
    """The date `periods` instalment periods after `anchor` (months clip; see module doc)."""
    if frequency is Frequency.MONTHLY:
        return add_months(anchor, periods)
    try:
        return anchor + timedelta(days=_DAYS_PER_STEP[frequency] * periods)
    except OverflowError:
        raise ValidationError("That schedule runs past the end of the calendar.") from None


def due_dates(
    start: date, frequency: Frequency, count: int, *, first_due: date | None = None
) -> list[date]:
    """The `count` due dates of a schedule disbursed on `start`.

    Without `first_due` the dates are 1, 2, … periods after `start` (anchored on `start`, so
    a loan disbursed on 31 January falls due on the last day of every month). With
    `first_due` the dates are 0, 1, … periods after it, anchored on its day of the month.
    """
    if count < 1:
        raise ValidationError("A schedule needs at least one due date.")
    if first_due is None:
        return [step(start, frequency, i) for i in range(1, count + 1)]
    return [step(first_due, frequency, i) for i in range(count)]


def elapsed(start: date, end: date, frequency: Frequency) -> tuple[int, int]:
    """Whole units from `start` to `end` and the odd days left: calendar months (stepped
    from `start`, clipped) for MONTHLY, weeks for FORTNIGHTLY and WEEKLY."""
    if end < start:
        raise ValidationError(f"The period ends ({end}) before it starts ({start}).")
    if frequency is not Frequency.MONTHLY:
        return divmod((end - start).days, 7)
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


def days_30_360(start: date, end: date) -> int:
    """Days between two dates under 30/360 Bond Basis (ISDA 2006 §4.16(f))."""
    d1 = 30 if start.day == 31 else start.day
    d2 = 30 if end.day == 31 and d1 == 30 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def year_fraction(start: date, end: date, convention: DayCount) -> Fraction:
    """The exact fraction of a year from `start` to `end` under `convention`.

    Raises ValidationError when `end` is before `start`.
    """
    if end < start:
        raise ValidationError(f"The period ends ({end}) before it starts ({start}).")
    if convention is DayCount.ACT_365:
        return Fraction((end - start).days, 365)
    if convention is DayCount.THIRTY_360:
        return Fraction(days_30_360(start, end), 360)
    fraction = Fraction(0)
    for year in range(start.year, end.year + 1):
        lower = max(start, date(year, 1, 1))
        upper = end if year == end.year else date(year + 1, 1, 1)
        fraction += Fraction((upper - lower).days, 366 if is_leap_year(year) else 365)
    return fraction
