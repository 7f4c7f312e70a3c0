"""Background jobs on procrastinate, sharing the application's PostgreSQL.

Every job is enqueued through `enqueue()` on the caller's own session, so the job exists
if and only if the change that caused it commits. Workers run in the `serve` process by
default and as separate `lendline worker` processes in production.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

blueprint = procrastinate.Blueprint()
_sessions: async_sessionmaker[AsyncSession] | None = None


def bind(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Give job functions the session factory of the running process."""
    global _sessions
    _sessions = session_factory


def sessions() -> async_sessionmaker[AsyncSession]:
    if _sessions is None:
        raise RuntimeError("Jobs are not bound to a database; call jobs.bind() first.")
    return _sessions


async def enqueue(session: AsyncSession, task: Any, /, **kwargs: Any) -> int:
    """Defer `task` inside the session's current transaction (committed or rolled back with it)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    job_id: int = await task.configure(connection=raw.driver_connection).defer_async(**kwargs)
    return job_id


@blueprint.task(name="heartbeat", queue="default")
async def heartbeat(at: str) -> str:
    """A no-op job used to prove the queue round-trips (health checks, tests)."""
    log.info("heartbeat enqueued at %s ran at %s", at, dt.datetime.now(dt.UTC).isoformat())
    return at
