"""Accounting periods: open one, close one, and the check every posting makes.

Policy: a date outside every period may be posted to; only a CLOSED period refuses entries.
Closing is final (a database trigger refuses changing or deleting a closed period); a late
adjustment goes into the next open period, for instance as a reversal dated there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import (
    ClosedPeriod,
    ConflictError,
    InvalidTransition,
    NotFoundError,
    ValidationError,
)
from core.ledger.models import AccountingPeriod, PeriodStatus


def describe(period: AccountingPeriod) -> str:
    return f"{period.start_date.isoformat()} to {period.end_date.isoformat()}"


async def open_period(
    session: AsyncSession, *, start: dt.date, end: dt.date, actor: str
) -> AccountingPeriod:
    """Create an OPEN period covering `start`..`end` (both inclusive); periods never overlap."""
    if start > end:
        raise ValidationError(f"A period cannot end ({end}) before it starts ({start}).")
    clash = await session.scalar(
        select(AccountingPeriod)
        .where(AccountingPeriod.start_date <= end, AccountingPeriod.end_date >= start)
        .limit(1)
    )
    if clash is not None:
        raise ConflictError(f"{start} to {end} overlaps the period {describe(clash)}.")
    period = AccountingPeriod(start_date=start, end_date=end, status=PeriodStatus.OPEN)
    session.add(period)
    await session.flush()
    await trail.record(
        session,
        actor=actor,
        action="ledger.period_opened",
        entity_type="accounting_period",
        entity_id=period.id,
        after={"start": start, "end": end, "status": period.status},
    )
    return period


async def close_period(
    session: AsyncSession, *, period_id: int, actor: str, now: dt.datetime
) -> AccountingPeriod:
    """Close an OPEN period for good: from now on no entry may be dated inside it.

    Raises `NotFoundError` for an unknown period and `InvalidTransition` if already closed.
    The row is locked, so a posting racing the close either finishes first or is refused.
    """
    if now.tzinfo is None:
        raise ValidationError("The closing time must carry a time zone.")
    period = await session.scalar(
        select(AccountingPeriod).where(AccountingPeriod.id == period_id).with_for_update()
    )
    if period is None:
        raise NotFoundError(f"There is no accounting period {period_id}.")
    if period.status is PeriodStatus.CLOSED:
        raise InvalidTransition(f"The period {describe(period)} is already closed.")
    period.status = PeriodStatus.CLOSED
    period.closed_by = actor
    period.closed_at = now
    await session.flush()
    await trail.record(
        session,
        actor=actor,
        action="ledger.period_closed",
        entity_type="accounting_period",
        entity_id=period.id,
        before={"status": PeriodStatus.OPEN},
        after={"status": period.status, "closed_at": now},
    )
    return period


async def list_periods(session: AsyncSession) -> list[AccountingPeriod]:
    """Every period, earliest first."""
    rows = await session.scalars(select(AccountingPeriod).order_by(AccountingPeriod.start_date))
    return list(rows)


async def closed_periods_between(
    session: AsyncSession, *, start: dt.date, end: dt.date
) -> list[AccountingPeriod]:
    """The CLOSED periods that overlap `start`..`end`."""
    rows = await session.scalars(
        select(AccountingPeriod).where(
            AccountingPeriod.status == PeriodStatus.CLOSED,
            AccountingPeriod.start_date <= end,
            AccountingPeriod.end_date >= start,
        )
    )
    return list(rows)


def refuse_if_closed(closed: list[AccountingPeriod], on: dt.date) -> None:
    """Raise `ClosedPeriod` when `on` falls inside one of the `closed` periods."""
    for period in closed:
        if period.start_date <= on <= period.end_date:
            raise ClosedPeriod(
                f"The books for {describe(period)} are closed; nothing can be posted on {on}. "
                "Post the correction in an open period instead."
            )


async def ensure_open(session: AsyncSession, *, on: dt.date) -> None:
    """Raise `ClosedPeriod` if `on` lies inside a CLOSED period."""
    refuse_if_closed(await closed_periods_between(session, start=on, end=on), on)
