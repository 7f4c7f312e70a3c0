"""LangGraph checkpoints in the turn's own PostgreSQL transaction.

A turn's checkpoint, its domain effects and its outbox rows commit together or not at all:
the checkpointer writes through the same psycopg connection as the turn's SQLAlchemy
session. The graph is compiled once with a `TurnCheckpointer`, which hands every call to
the saver bound (through a context variable) to the running turn's connection.

Threads are pruned as they go: a turn keeps the latest `KEEP_CHECKPOINTS` checkpoints of its
conversation and the blobs they still reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Final

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

KEEP_CHECKPOINTS: Final = 3

_current: ContextVar[AsyncPostgresSaver | None] = ContextVar("turn_checkpointer", default=None)


class TurnCheckpointer(BaseCheckpointSaver[str]):
    """A checkpointer that writes through whichever turn is running in this task."""

    @staticmethod
    def _saver() -> AsyncPostgresSaver:
        saver = _current.get()
        if saver is None:
            raise RuntimeError("The agent graph runs only inside a turn (agent.turns).")
        return saver

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._saver().aget_tuple(config)

    async def alist(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for item in self._saver().alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._saver().aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
        task_path: str = "",
    ) -> None:
        await self._saver().aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._saver().adelete_thread(thread_id)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self._saver().get_next_version(current, channel)


async def driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under the session's current transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


@contextlib.contextmanager
def bound_to(connection: psycopg.AsyncConnection[Any]) -> Iterator[None]:
    """Within the block, checkpoints go through `connection` (the turn's transaction)."""
    token = _current.set(AsyncPostgresSaver(connection))
    try:
        yield
    finally:
        _current.reset(token)


async def setup(database_url: str) -> None:
    """Create or upgrade LangGraph's checkpoint tables (needs autocommit for its indexes)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await AsyncPostgresSaver(conn).setup()  # type: ignore[arg-type]  # dict rows are set per cursor


PRUNE_CHECKPOINTS = text("""
    WITH doomed AS (
        SELECT checkpoint_id FROM checkpoints
        WHERE thread_id = :thread AND checkpoint_ns = ''
        ORDER BY checkpoint_id DESC OFFSET :keep
    ), writes AS (
        DELETE FROM checkpoint_writes w USING doomed
        WHERE w.thread_id = :thread AND w.checkpoint_ns = ''
          AND w.checkpoint_id = doomed.checkpoint_id
    )
    DELETE FROM checkpoints c USING doomed
    WHERE c.thread_id = :thread AND c.checkpoint_ns = '' AND c.checkpoint_id = doomed.checkpoint_id
""")

PRUNE_BLOBS = text("""
    DELETE FROM checkpoint_blobs b
    WHERE b.thread_id = :thread AND b.checkpoint_ns = ''
      AND NOT EXISTS (
        SELECT 1 FROM checkpoints c
        WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
          AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version
      )
""")


async def prune(session: AsyncSession, *, thread_id: str, keep: int = KEEP_CHECKPOINTS) -> int:
    """Delete all but the latest `keep` checkpoints of a thread; returns how many went."""
    deleted = await session.execute(PRUNE_CHECKPOINTS, {"thread": thread_id, "keep": keep})
    removed: int = deleted.rowcount  # type: ignore[attr-defined]
    if removed:
        await session.execute(PRUNE_BLOBS, {"thread": thread_id})
    return removed
