"""Checkpoint pruning: idle conversations keep their latest checkpoints (and can go on),
conversations closed long ago and conversations gone lose theirs, everything else is
untouched, and a rerun finds nothing to do.

The checkpoints are real: a small LangGraph graph run through the PostgreSQL saver on the
test's connection: three checkpoints per message (the input, the start, the answer).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, StateGraph
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from agent import checkpoint
from agent.checkpoint_maintenance import prune_checkpoints
from core.conversations.models import Channel, ConversationStatus
from core.conversations.store import open_conversation, set_status
from core.db.session import make_engine
from lendline import jobs, jobs_maintenance
from lendline.embedded import EmbeddedPostgres
from lendline.services import plain_url
from lendline.settings import Settings

NOW = dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC)
IDLE_BEFORE = NOW - dt.timedelta(days=7)
CLOSED_BEFORE = NOW - dt.timedelta(days=30)
COUNT = text("SELECT (SELECT count(*) FROM checkpoints WHERE thread_id = :t), "
             "(SELECT count(*) FROM checkpoint_blobs WHERE thread_id = :t), "
             "(SELECT count(*) FROM checkpoint_writes WHERE thread_id = :t)")


class State(TypedDict):
    said: Annotated[list[str], operator.add]
    turns: int


def _answer(state: State) -> dict[str, Any]:
    return {"said": [f"answer {state['turns']}"], "turns": state["turns"] + 1}


GRAPH = StateGraph(State).add_node("answer", _answer).add_edge(START, "answer")


@pytest.fixture(scope="module")
async def checkpoint_engine(postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    """A database of its own with LangGraph's checkpoint tables."""
    url = postgres.migrated_database("lendline_checkpoints")
    await checkpoint.setup(plain_url(url))
    engine = make_engine(url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(checkpoint_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with checkpoint_engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def sessions(db: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=db, expire_on_commit=False,
                              join_transaction_mode="create_savepoint")


async def talk(session: AsyncSession, thread: str, messages: int) -> None:
    """`messages` turns on `thread`, each leaving three checkpoints."""
    saver = AsyncPostgresSaver(await checkpoint.driver_connection(session))
    graph = GRAPH.compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": thread}}
    for turn in range(messages):
        await graph.ainvoke({"said": [f"message {turn}"], "turns": turn}, config)


async def conversation(session: AsyncSession, address: str, *, last_active: dt.datetime,
                       closed: bool = False) -> str:
    found = await open_conversation(session, channel=Channel.WEB, address=address,
                                    now=last_active)
    if closed:
        await set_status(session, conversation_id=found.id, status=ConversationStatus.CLOSED,
                         now=last_active)
    return str(found.id)


async def sizes(session: AsyncSession, thread: str) -> tuple[int, int, int]:
    counts = (await session.execute(COUNT, {"t": thread})).one()
    return (counts[0], counts[1], counts[2])


async def test_pruning_removes_exactly_the_old_checkpoints(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        active = await conversation(session, "active", last_active=NOW - dt.timedelta(hours=2))
        idle = await conversation(session, "idle", last_active=NOW - dt.timedelta(days=8))
        old = await conversation(session, "closed-old", last_active=NOW - dt.timedelta(days=31),
                                 closed=True)
        recent = await conversation(session, "closed-recent",
                                    last_active=NOW - dt.timedelta(days=29), closed=True)
        gone = "987654321"
        for thread in (active, idle, old, recent, gone, "bench-thread"):
            await talk(session, thread, 3)
        before = {thread: await sizes(session, thread)
                  for thread in (active, idle, old, recent, gone, "bench-thread")}
        assert before[idle] == (9, 9, 15)  # checkpoints, blobs, writes
        saver = AsyncPostgresSaver(await checkpoint.driver_connection(session))
        latest = await saver.aget_tuple({"configurable": {"thread_id": idle}})
        assert latest is not None

    report = await prune_checkpoints(sessions, idle_before=IDLE_BEFORE,
                                     closed_before=CLOSED_BEFORE, keep=1, batch_size=2)
    assert (report.threads, report.batches, report.trimmed, report.cleared,
            report.checkpoints_removed) == (6, 3, 1, 2, 8 + 9 + 9)
    assert report.summary() == ("6 threads in 3 batches: 1 idle trimmed, 2 closed or gone "
                                "cleared, 26 checkpoints removed")

    async with sessions() as session, session.begin():
        after = {thread: await sizes(session, thread) for thread in before}
        assert after == {**before, idle: (1, 1, 0), old: (0, 0, 0), gone: (0, 0, 0)}
        saver = AsyncPostgresSaver(await checkpoint.driver_connection(session))
        kept = await saver.aget_tuple({"configurable": {"thread_id": idle}})
        assert kept is not None
        assert kept.checkpoint == latest.checkpoint
        assert kept.checkpoint["channel_values"]["said"][-1] == "answer 2"

    rerun = await prune_checkpoints(sessions, idle_before=IDLE_BEFORE,
                                    closed_before=CLOSED_BEFORE, keep=1, batch_size=2)
    assert (rerun.threads, rerun.trimmed, rerun.cleared, rerun.checkpoints_removed) == (
        4, 0, 0, 0)

    async with sessions() as session, session.begin():
        await talk(session, idle, 1)  # the trimmed conversation goes on where it was
        saver = AsyncPostgresSaver(await checkpoint.driver_connection(session))
        state = await saver.aget_tuple({"configurable": {"thread_id": idle}})
        assert state is not None
        assert state.checkpoint["channel_values"]["said"][-2:] == ["message 0", "answer 0"]
        assert len(state.checkpoint["channel_values"]["said"]) == 8


async def test_at_least_one_checkpoint_is_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(ValueError, match="at least one checkpoint"):
        await prune_checkpoints(sessions, idle_before=IDLE_BEFORE, closed_before=CLOSED_BEFORE,
                                keep=0)


async def test_the_nightly_job_prunes_as_the_settings_say(
    sessions: async_sessionmaker[AsyncSession], settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with sessions() as session, session.begin():
        idle = await conversation(session, "idle", last_active=NOW - dt.timedelta(days=8))
        await talk(session, idle, 2)
    monkeypatch.setattr(jobs, "_sessions", sessions)
    keep_two = settings.model_copy(update={"checkpoint_keep": 2})
    monkeypatch.setattr(jobs_maintenance, "get_settings", lambda: keep_two)
    summary = await jobs_maintenance.checkpoint_pruning(timestamp=int(NOW.timestamp()))
    assert summary == ("1 threads in 1 batches: 1 idle trimmed, 0 closed or gone cleared, "
                       "4 checkpoints removed")
