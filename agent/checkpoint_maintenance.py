"""Checkpoint bookkeeping for the threads turns no longer prune (run by a nightly job).

Turns prune their own thread as they go (`agent.checkpoint.prune`, every few turns), so a
conversation that goes quiet keeps up to `KEEP_CHECKPOINTS + PRUNE_EVERY - 1` checkpoints
for good. `prune_checkpoints` walks every thread that has checkpoints, `batch_size` threads
per transaction, in thread order:
- a conversation that is not closed and has been idle since before `idle_before` keeps its
  latest `keep` checkpoints and the blobs they reference: enough to continue it, or to
  resume an escalation waiting at an interrupt;
- a conversation closed before `closed_before` loses all its checkpoint data: a closed
  conversation is never resumed (the next message opens a new one);
- a thread named by a conversation id with no conversation row any more loses all its data.
Threads not named by a conversation id are left alone. Only LangGraph's checkpoint tables
are touched: transcripts and their retention belong to the conversation store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.checkpoint import prune
from core.db.session import unit_of_work

_BATCH = text("""
    WITH threads AS (
        SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id > :after
        ORDER BY thread_id LIMIT :size
    )
    SELECT t.thread_id, t.thread_id ~ '^[0-9]{1,18}$' AS ours, c.id IS NOT NULL AS known,
        c.status = 'closed' AND coalesce(c.closed_at, c.last_activity_at) < :closed_before
            AS expired,
        c.status <> 'closed' AND c.last_activity_at < :idle_before AS idle,
        (SELECT count(*) FROM checkpoints k
         WHERE k.thread_id = t.thread_id AND k.checkpoint_ns = '') AS checkpoints
    FROM threads t LEFT JOIN conversations c
        ON c.id = CASE WHEN t.thread_id ~ '^[0-9]{1,18}$' THEN t.thread_id::bigint END
    ORDER BY t.thread_id
""")
_CLEAR = text("""
    WITH writes AS (DELETE FROM checkpoint_writes WHERE thread_id = ANY(:threads)),
        blobs AS (DELETE FROM checkpoint_blobs WHERE thread_id = ANY(:threads))
    DELETE FROM checkpoints WHERE thread_id = ANY(:threads)
""")


@dataclass
class PruneReport:
    """Threads looked at, trimmed to their latest checkpoints, or cleared; checkpoints gone."""

    threads: int = 0
    trimmed: int = 0
    cleared: int = 0
    checkpoints_removed: int = 0
    batches: int = 0

    def summary(self) -> str:
        return (f"{self.threads} threads in {self.batches} batches: {self.trimmed} idle trimmed, "
                f"{self.cleared} closed or gone cleared, {self.checkpoints_removed} "
                "checkpoints removed")


async def _tidy(
    session: AsyncSession, rows: Sequence[Row[Any]], *, keep: int, report: PruneReport,
) -> None:
    """Trim or clear the threads of one batch as `_BATCH` classified them."""
    doomed = [row.thread_id for row in rows if row.ours and (row.expired or not row.known)]
    if doomed:
        result: Any = await session.execute(_CLEAR, {"threads": doomed})
        report.checkpoints_removed += result.rowcount
        report.cleared += len(doomed)
    for row in rows:
        if row.idle and row.checkpoints > keep:
            report.checkpoints_removed += await prune(session, thread_id=row.thread_id,
                                                      keep=keep)
            report.trimmed += 1


async def prune_checkpoints(
    sessions: async_sessionmaker[AsyncSession], *, idle_before: dt.datetime,
    closed_before: dt.datetime, keep: int = 1, batch_size: int = 200,
) -> PruneReport:
    """Trim idle threads to their latest `keep` checkpoints and clear the checkpoint data
    of conversations closed before `closed_before` or gone (see the module docstring).
    Owns its transactions, one per `batch_size` threads. Idempotent: a rerun finds nothing
    more to do. Raises `ValueError` for `keep` < 1 (a thread must keep its state)."""
    if keep < 1 or batch_size < 1:
        raise ValueError("Keep at least one checkpoint per thread, in batches of at least one.")
    report, after = PruneReport(), ""
    while True:
        async with unit_of_work(sessions) as session:
            rows = (await session.execute(_BATCH, {
                "after": after, "size": batch_size, "idle_before": idle_before,
                "closed_before": closed_before})).all()
            if not rows:
                return report
            await _tidy(session, rows, keep=keep, report=report)
        report.threads += len(rows)
        report.batches += 1
        after = rows[-1].thread_id
