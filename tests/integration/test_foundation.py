"""The foundation: migrations, the audit trail's append-only rule, the job queue and Redis."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from lendline import jobs
from lendline.services import open_queue


async def test_migrations_created_the_schema(session: AsyncSession) -> None:
    version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    assert version is not None
    vector = await session.scalar(
        text("SELECT extversion FROM pg_extension WHERE extname='vector'")
    )
    assert vector is not None


async def test_audit_trail_is_append_only(session: AsyncSession) -> None:
    event = await trail.record(
        session,
        actor="staff:1",
        action="customer.updated",
        entity_type="customer",
        entity_id=7,
        before={"phone": "+18685550100"},
        after={"phone": "+18685550101"},
    )
    history = await trail.history(session, entity_type="customer", entity_id=7)
    assert [e.id for e in history] == [event.id]
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE audit_events SET actor = 'x' WHERE id = :id"), {"id": event.id}
            )
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})


async def test_job_is_enqueued_in_the_callers_transaction(
    session: AsyncSession, database_url: str
) -> None:
    async with open_queue(database_url):
        async with session.begin_nested() as savepoint:
            job_id = await jobs.enqueue(session, jobs.process_payment_event, event_id=1)
            count = await session.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )
            assert count == 1
            await savepoint.rollback()
        gone = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        )
        assert gone == 0


async def test_redis_round_trip(redis) -> None:  # type: ignore[no-untyped-def]
    await redis.set("k", "v")
    assert await redis.get("k") == b"v"


async def test_migrations_match_the_models(session: AsyncSession) -> None:
    """A model changed without a migration shows up here as a difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db.migrations.env_filters import include_name
    from core.db.registry import metadata

    def differences(sync_connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(
            sync_connection, opts={"include_name": include_name, "compare_type": True}
        )
        return compare_metadata(context, metadata)

    connection = await session.connection()
    assert await connection.run_sync(differences) == []
