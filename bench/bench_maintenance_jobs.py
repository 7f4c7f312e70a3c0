"""The maintenance jobs on their own embedded PostgreSQL: a day's payment reminders and a
night's checkpoint pruning.

Reminders: a book of 20,000 loans (the servicing bench's generator), each given a borrower
of its own with SMS and WhatsApp (half prefer each, a WhatsApp template configured), then
`run_reminders` for 14 January 2025 at 10:00 in Port of Spain (instalments due in 3 days and
today), and again (nothing sent twice).

Pruning: a real LangGraph thread (3 turns, 9 checkpoints) copied to 20,000 conversations,
half idle for 10 days, a quarter closed 40 days ago, a quarter active, then
`prune_checkpoints` (keep 1), and again.

Run from the repository root: `python bench/bench_maintenance_jobs.py [loans] [threads]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import operator
import sys
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from figures import figure
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, StateGraph

from agent import checkpoint
from agent.checkpoint_maintenance import prune_checkpoints
from bench.bench_servicing import load, prepare
from core.collections.reminder_run import ReminderPolicy, Status, run_reminders
from core.db.session import make_engine, make_session_factory
from lendline.embedded import scratch_postgres
from lendline.services import plain_url

DAY = dt.date(2025, 1, 14)
TEN_IN_PORT_OF_SPAIN = dt.datetime(2025, 1, 14, 14, 0, tzinfo=dt.UTC)

_BORROWERS = """
INSERT INTO customers (id, number, first_name, last_name, date_of_birth, preferred_language,
                       time_zone, preferred_channel, status)
    OVERRIDING SYSTEM VALUE
SELECT 1000 + n, 'CU-B' || n, 'Borrower', 'No ' || n, DATE '1985-01-01', 'en',
       'America/Port_of_Spain', CASE WHEN n %% 2 = 0 THEN 'whatsapp' ELSE 'sms' END, 'active'
FROM generate_series(1, %(count)s) n;
INSERT INTO contact_points (customer_id, channel, address, is_primary, active)
SELECT 1000 + n, channel, '+1868' || lpad(n::text, 7, '0'), true, true
FROM generate_series(1, %(count)s) n, (VALUES ('sms'), ('whatsapp')) c(channel);
UPDATE loans SET customer_id = 1000 + id;
ANALYZE customers; ANALYZE contact_points; ANALYZE loans;
"""

_THREADS = """
INSERT INTO conversations (id, channel, address, status, last_activity_at, closed_at)
    OVERRIDING SYSTEM VALUE
SELECT 100000 + n, 'web', 'bench-' || n, CASE WHEN n %% 4 = 1 THEN 'closed' ELSE 'active' END,
       now() - CASE WHEN n %% 4 = 0 THEN interval '1 hour' WHEN n %% 4 = 1 THEN interval '40 days'
                    ELSE interval '10 days' END,
       CASE WHEN n %% 4 = 1 THEN now() - interval '40 days' END
FROM generate_series(1, %(count)s) n;
INSERT INTO checkpoints SELECT (100000 + n)::text, checkpoint_ns, checkpoint_id,
    parent_checkpoint_id, type, checkpoint, metadata
    FROM checkpoints, generate_series(1, %(count)s) n WHERE thread_id = 'template';
INSERT INTO checkpoint_blobs SELECT (100000 + n)::text, checkpoint_ns, channel, version, type, blob
    FROM checkpoint_blobs, generate_series(1, %(count)s) n WHERE thread_id = 'template';
INSERT INTO checkpoint_writes SELECT (100000 + n)::text, checkpoint_ns, checkpoint_id, task_id, idx,
    channel, type, blob, task_path
    FROM checkpoint_writes, generate_series(1, %(count)s) n WHERE thread_id = 'template';
DELETE FROM checkpoints WHERE thread_id = 'template';
ANALYZE conversations; ANALYZE checkpoints; ANALYZE checkpoint_blobs; ANALYZE checkpoint_writes;
"""


class State(TypedDict):
    said: Annotated[list[str], operator.add]


def run_sql(url: str, script: str, count: int) -> None:
    with psycopg.connect(url) as conn:
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement, {"count": count})


async def template_thread(url: str) -> None:
    """Three turns of a small graph on thread 'template': 9 real checkpoints."""
    graph = StateGraph(State).add_node("answer", lambda s: {"said": ["answer"]})
    async with await psycopg.AsyncConnection.connect(url) as conn:
        app = graph.add_edge(START, "answer").compile(
            checkpointer=AsyncPostgresSaver(conn))  # type: ignore[arg-type]
        config: Any = {"configurable": {"thread_id": "template"}}
        for turn in range(3):
            await app.ainvoke({"said": [f"message {turn}"]}, config)
        await conn.commit()


async def reminders(url: str, loans: int) -> None:
    engine = make_engine(url, pool_size=2)
    sessions = make_session_factory(engine)
    policy = ReminderPolicy(lender_name="Bench Credit Union", time_zone="America/Port_of_Spain",
                            whatsapp_template="HXbench")
    for label in ("first run", "rerun"):
        started = time.perf_counter()
        report = await run_reminders(sessions, as_of=DAY, policy=policy,
                                     clock=lambda: TEN_IN_PORT_OF_SPAIN)
        seconds = time.perf_counter() - started
        handled = sum(report.counts.values())
        print(f"reminders, {label:<9} {seconds:6.2f} s for {handled:,} borrowers "
              f"({handled / seconds:,.0f}/s) of {loans:,} loans: {report.summary()}")
        figure(f"reminders {label}, {handled:,} borrowers", round(seconds, 2), "s")
    if report.counts[Status.SENT]:
        raise SystemExit("the rerun sent reminders again")
    await engine.dispose()


async def pruning(url: str, threads: int) -> None:
    await checkpoint.setup(plain_url(url))
    await template_thread(plain_url(url))
    run_sql(url, _THREADS, threads)
    engine = make_engine(url, pool_size=2)
    sessions = make_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    for label in ("first run", "rerun"):
        started = time.perf_counter()
        report = await prune_checkpoints(sessions, idle_before=now - dt.timedelta(days=7),
                                         closed_before=now - dt.timedelta(days=30), keep=1)
        seconds = time.perf_counter() - started
        print(f"pruning, {label:<9} {seconds:6.2f} s ({report.threads / seconds:,.0f} threads/s, "
              f"{report.checkpoints_removed / seconds:,.0f} checkpoints removed/s): "
              f"{report.summary()}")
        figure(f"pruning {label}, {threads:,} threads", round(seconds, 2), "s")
    await engine.dispose()


def main() -> None:
    loans = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    with scratch_postgres("llm-") as postgres:
        url = postgres.migrated_database("bench_maintenance")
        customer_id, product_id = asyncio.run(prepare(url))
        load(url, loans, customer_id, product_id)
        run_sql(url, _BORROWERS, loans)
        asyncio.run(reminders(url, loans))
        asyncio.run(pruning(url, threads))


if __name__ == "__main__":
    main()
