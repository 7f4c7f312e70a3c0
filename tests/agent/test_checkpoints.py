"""Checkpoints stay bounded: a thread keeps its latest few, and its state stays whole."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from agent.checkpoint import KEEP_CHECKPOINTS
from agent.conversation import PRUNE_EVERY, Agent, Inbound

COUNT = text("SELECT (SELECT count(*) FROM checkpoints WHERE thread_id = :t), "
             "(SELECT count(*) FROM checkpoint_blobs WHERE thread_id = :t), "
             "(SELECT count(*) FROM checkpoint_writes WHERE thread_id = :t)")


async def test_a_long_conversation_keeps_only_its_latest_checkpoints(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    sizes = []
    for turn in range(12):
        said = "hi" if turn % 2 else "what documents do I need?"
        result = await agent.converse(Inbound("web", "web-checkpoint-check", said))
        counts = (await agent_connection.execute(
            COUNT, {"t": str(result.conversation_id)})).one()
        sizes.append(tuple(counts))
    assert sizes[PRUNE_EVERY - 1][0] == KEEP_CHECKPOINTS
    assert max(size[0] for size in sizes) <= KEEP_CHECKPOINTS + PRUNE_EVERY - 1
    assert sizes[2 * PRUNE_EVERY - 1] == sizes[PRUNE_EVERY - 1], "the row counts stop growing"
    assert max(size[1] for size in sizes) < 60
    state = await agent_connection.scalar(text(
        "SELECT checkpoint -> 'channel_versions' FROM checkpoints WHERE thread_id = :t "
        "ORDER BY checkpoint_id DESC LIMIT 1"), {"t": str(result.conversation_id)})
    assert "history" in state
