"""Agent turn latency and throughput with the offline understander, on embedded PostgreSQL.

The demo lender is seeded into a scratch database and the bundled knowledge base ingested.
Each simulated conversation is a real borrower session through `Agent.converse` (the same
entry point as every channel): half are demo borrowers who verify with the one-time code
and ask for their balance, next payment and schedule; half are new numbers who greet, ask
a policy question and pre-qualify. Conversations run concurrently; turns within one
conversation run one after another, as a person types.

Prints turn latency p50/p95/p99 and turns per second for 1, 10, 50 and 100 concurrent
conversations, then checkpoint rows and bytes per conversation after pruning and the
bytes written per turn.

Run from the repository root: `python bench/bench_agent.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import figure
from sqlalchemy import text

from agent import checkpoint
from agent.answers import KnowledgeSearch
from agent.conversation import Agent, Inbound
from agent.understanding.offline import OfflineUnderstander
from core.crypto import FieldCipher
from core.db.session import make_engine, make_session_factory, unit_of_work
from core.otp.service import derive_key
from knowledge.embedding import HashingEmbedder
from knowledge.ingest import BUNDLED, content_folder, ingest_folder
from lendline import demo
from lendline.embedded import scratch_postgres
from lendline.services import plain_url

SECRET = "bench-secret-key-" + "x" * 32
ZONE = ZoneInfo("America/Port_of_Spain")
KNOWN = ["what's my balance", "{code}", "when is my next payment", "show me my schedule",
         "thanks"]
NEW = ["hi", "what documents do I need to apply?", "can I pre-qualify for a loan",
       "personal loan", "5000", "12 months", "8000", "thanks"]
CODE = re.compile(r"\b(\d{6})\b")


async def converse(agent: Agent, address: str, script: list[str], latencies: list[float]) -> None:
    code = "000000"
    for said in script:
        started = time.perf_counter()
        result = await agent.converse(Inbound("whatsapp", address, said.replace("{code}", code)))
        latencies.append(time.perf_counter() - started)
        for reply in result.replies:
            found = CODE.search(reply["text"]) if reply["purpose"] == "one_time_code" else None
            if found:
                code = found.group(1)


async def round_of(agent: Agent, concurrency: int, start: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    sessions = []
    for index in range(concurrency):
        number = start + index
        if index % 2 == 0:
            address, script = f"+1868555{101 + number % 60:04d}", KNOWN
        else:
            address, script = f"+1868777{number:04d}", NEW
        sessions.append(converse(agent, address, script, latencies))
    started = time.perf_counter()
    await asyncio.gather(*sessions)
    return latencies, time.perf_counter() - started


def cpu() -> float:
    """This process's CPU seconds: the rest of a turn's time is PostgreSQL and waiting."""
    return time.process_time()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    with scratch_postgres("ll-bench-agent-") as postgres:
        url = postgres.migrated_database("bench_agent")
        await checkpoint.setup(plain_url(url))
        engine = make_engine(url, pool_size=20)
        factory = make_session_factory(engine)
        cipher = FieldCipher(SECRET)
        today = dt.date(2026, 11, 20)
        async with unit_of_work(factory) as session:
            await demo.seed(session, cipher=cipher, secret=SECRET, lender_name="Bench CU",
                            today=today)
        async with unit_of_work(factory) as session:
            await ingest_folder(session, content_folder(), embedder=HashingEmbedder(),
                                collection=BUNDLED)
        agent = Agent(
            session_factory=factory, understander=OfflineUnderstander(), cipher=cipher,
            otp_key=derive_key(SECRET), knowledge=KnowledgeSearch(HashingEmbedder()),
            clock=lambda: dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZONE),
        )
        await round_of(agent, 4, 9000)  # warm-up: imports, caches, prepared statements
        print(f"{'concurrent':>10} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'turns/s':>8} {'client CPU ms/turn':>19}")
        start = 0
        for concurrency in (1, 10, 50, 100):
            spent = cpu()
            latencies, elapsed = await round_of(agent, concurrency, start)
            spent = cpu() - spent
            start += concurrency
            print(f"{concurrency:>10} {len(latencies):>6} "
                  f"{percentile(latencies, 0.50) * 1000:>8.1f} "
                  f"{percentile(latencies, 0.95) * 1000:>8.1f} "
                  f"{percentile(latencies, 0.99) * 1000:>8.1f} "
                  f"{len(latencies) / elapsed:>8.1f} {spent / len(latencies) * 1000:>19.1f}")
            figure(f"turn p95, {concurrency} concurrent", percentile(latencies, 0.95) * 1000,
                   "ms")
            figure(f"turns/s, {concurrency} concurrent", len(latencies) / elapsed, "turns/s")
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT count(DISTINCT thread_id), "
                "(SELECT count(*) FROM checkpoints), (SELECT count(*) FROM checkpoint_blobs), "
                "(SELECT count(*) FROM checkpoint_writes), "
                "(SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM checkpoints c) + "
                "(SELECT coalesce(sum(pg_column_size(b.*)), 0) FROM checkpoint_blobs b) + "
                "(SELECT coalesce(sum(pg_column_size(w.*)), 0) FROM checkpoint_writes w) "
                "FROM checkpoints"))).one()
        threads, checkpoints, blobs, writes, size = rows
        print(f"\ncheckpoints after pruning, per conversation: {checkpoints / threads:.1f} "
              f"checkpoints, {blobs / threads:.1f} blobs, {writes / threads:.1f} writes, "
              f"{size / threads / 1024:.1f} KiB")
        figure("checkpoint storage per conversation", size / threads / 1024, "KiB")
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
