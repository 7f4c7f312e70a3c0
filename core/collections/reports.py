"""Portfolio at risk and roll rates, read from the delinquency snapshots.

PARn is the principal outstanding on loans more than n days past due (PAR1: at least one
day), as an amount and as a percentage of all the principal outstanding on active loans
that day; percentages are rounded half up to two places.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.buckets import ORDER, PAR_THRESHOLDS, Bucket
from core.collections.models import DelinquencyRun, DelinquencySnapshot
from core.errors import ConflictError, NotFoundError, ValidationError
from core.money import DEFAULT_CURRENCY

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class BucketLine(BaseModel):
    bucket: Bucket
    loans: int
    principal_outstanding: Decimal
    arrears: Decimal


class ParLine(BaseModel):
    name: str
    days: int
    loans: int
    amount: Decimal
    percent: Decimal


class PortfolioAtRisk(BaseModel):
    as_of: dt.date
    currency: str
    loans: int
    principal_outstanding: Decimal
    buckets: list[BucketLine]
    par: list[ParLine]

    def line(self, days: int) -> ParLine:
        """The PAR line for `days` (1, 30, 60 or 90)."""
        return next(line for line in self.par if line.days == days)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return Decimal("0.00")
    return (part * _HUNDRED / whole).quantize(_CENT, rounding=ROUND_HALF_UP)


async def last_run(session: AsyncSession, *, as_of: dt.date) -> DelinquencyRun:
    """The delinquency run for `as_of`; `NotFoundError` when it has not run for that date."""
    run = await session.scalar(select(DelinquencyRun).where(DelinquencyRun.as_of == as_of))
    if run is None:
        raise NotFoundError(f"The delinquency run has not run for {as_of}; run it first.")
    return run


async def portfolio_at_risk(session: AsyncSession, *, as_of: dt.date) -> PortfolioAtRisk:
    """PAR1/30/60/90 and the book by bucket on `as_of`, from that day's snapshot (all zero
    when no loan was active). Raises ConflictError when the book holds several currencies."""
    rows = (await session.execute(
        select(DelinquencySnapshot.currency, DelinquencySnapshot.bucket, func.count(),
               func.sum(DelinquencySnapshot.principal_outstanding),
               func.sum(DelinquencySnapshot.arrears_amount))
        .where(DelinquencySnapshot.as_of == as_of)
        .group_by(DelinquencySnapshot.currency, DelinquencySnapshot.bucket)
    )).all()
    currencies = sorted({currency for currency, *_ in rows})
    if len(currencies) > 1:
        raise ConflictError("The book holds several currencies (" + ", ".join(currencies)
                            + "); portfolio at risk is reported for one currency.")
    found = {Bucket(bucket): (count, principal, arrears) for _, bucket, count, principal, arrears
             in rows}
    empty = (0, Decimal(0), Decimal(0))
    lines = [BucketLine(bucket=b, loans=n, principal_outstanding=p, arrears=a)
             for b in ORDER for n, p, a in [found.get(b, empty)]]
    whole = sum((line.principal_outstanding for line in lines), Decimal(0))
    par = []
    for days, first in PAR_THRESHOLDS:
        at_risk = [line for line in lines if line.bucket.rank >= first.rank]
        amount = sum((line.principal_outstanding for line in at_risk), Decimal(0))
        par.append(ParLine(name=f"PAR{days}", days=days, loans=sum(x.loans for x in at_risk),
                           amount=amount, percent=_percent(amount, whole)))
    return PortfolioAtRisk(
        as_of=as_of, currency=currencies[0] if currencies else DEFAULT_CURRENCY,
        loans=sum(line.loans for line in lines), principal_outstanding=whole,
        buckets=lines, par=par,
    )


class RollLine(BaseModel):
    """Where the loans of one bucket on the first date were on the second (`closed`: no
    longer active), as counts and as percentages of the bucket."""

    from_bucket: Bucket
    loans: int
    to: dict[str, int]
    rates: dict[str, Decimal]


async def roll_rates(
    session: AsyncSession, *, start: dt.date, end: dt.date
) -> list[RollLine]:
    """The bucket-to-bucket roll matrix between two snapshot dates."""
    if end <= start:
        raise ValidationError("A roll rate runs from an earlier date to a later one.")
    for day in (start, end):
        exists = await session.scalar(
            select(DelinquencySnapshot.loan_id).where(DelinquencySnapshot.as_of == day).limit(1))
        if exists is None:
            raise NotFoundError(f"There is no delinquency snapshot for {day}; run it first.")
    first = DelinquencySnapshot.__table__.alias("first")
    later = DelinquencySnapshot.__table__.alias("later")
    rows = (await session.execute(
        select(first.c.bucket, later.c.bucket, func.count())
        .select_from(first.outerjoin(
            later, (later.c.loan_id == first.c.loan_id) & (later.c.as_of == end)))
        .where(first.c.as_of == start)
        .group_by(first.c.bucket, later.c.bucket)
    )).all()
    columns = [b.value for b in ORDER] + ["closed"]
    result = []
    for bucket in ORDER:
        to = dict.fromkeys(columns, 0)
        for source, target, count in rows:
            if source == bucket:
                to[target if target is not None else "closed"] += count
        total = sum(to.values())
        result.append(RollLine(
            from_bucket=bucket, loans=total, to=to,
            rates={k: _percent(Decimal(v), Decimal(total)) for k, v in to.items()},
        ))
    return result
