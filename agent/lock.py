"""One turn at a time per conversation, across every replica.

A transaction-level PostgreSQL advisory lock keyed by the conversation's channel and address
(known before the conversation is even looked up, so the very first messages of a new
conversation queue too): the second message waits for the first turn's transaction to end
(PostgreSQL grants waiting lockers in arrival order), and a crashed replica's lock goes with
its connection. Different conversations practically never wait for each other (a hash
collision only serialises two of them).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CONVERSATION_LOCK: Final = 0x4C4C  # "LL": the namespace of conversation locks


async def hold_conversation(session: AsyncSession, *, channel: str, address: str) -> None:
    """Block until this transaction holds the turn lock of (channel, address)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))"),
        {"space": CONVERSATION_LOCK, "key": f"{channel}:{address}"},
    )
