"""Per-number messaging opt-out: STOP, START and their synonyms, kept per channel and address.

Kept apart from a customer's consents because anyone can text STOP, customer or not, and the
opt-out must hold for the number whoever it belongs to. Nothing is sent to an opted-out
number until it sends START, except the confirmation of the STOP itself and the answer to
HELP (purposes `opt_out` and `help`), as carriers require.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.conversations.models import Channel, NumberOptOut

__all__ = ["is_opted_out", "set_opt_out"]


async def is_opted_out(session: AsyncSession, *, channel: Channel, address: str) -> bool:
    opted_out: bool | None = await session.scalar(
        select(NumberOptOut.opted_out).where(NumberOptOut.channel == channel,
                                              NumberOptOut.address == address))
    return bool(opted_out)


async def set_opt_out(
    session: AsyncSession, *, channel: Channel, address: str, opted_out: bool, keyword: str,
    now: dt.datetime,
) -> NumberOptOut:
    """Record STOP (`opted_out=True`) or START for the number, with the word it sent; audited."""
    row = await session.scalar(
        select(NumberOptOut).where(NumberOptOut.channel == channel,
                                    NumberOptOut.address == address).with_for_update())
    before = None if row is None else {"opted_out": row.opted_out}
    if row is None:
        row = NumberOptOut(channel=channel, address=address)
        session.add(row)
    row.opted_out = opted_out
    row.keyword = keyword[:20]
    row.changed_at = now
    await session.flush()
    await trail.record(
        session, actor=f"{channel.value}:{address}",
        action="messaging.opted_out" if opted_out else "messaging.opted_in",
        entity_type="number_opt_out", entity_id=row.id, before=before,
        after={"opted_out": opted_out, "keyword": row.keyword}, channel=channel.value,
    )
    return row
