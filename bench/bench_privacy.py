"""Data protection costs on embedded PostgreSQL: exporting a customer, a retention run and a
key rotation over the demo lender.

The demo lender is seeded into a scratch database; then 40,000 conversation messages are
added over 400 conversations (half written eight years ago, half last month) with their
outbox rows, and 2,000 finished background jobs (half older than the job retention).
Prints the time to export each demo customer (JSON) and the largest export's size, the
time of one zip export, the first retention run (which redacts the old half) and a rerun
(which finds nothing), and `rotate_keys` moving every secret to a new key.

Run from the repository root: `python bench/bench_privacy.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import figure
from sqlalchemy import select, text

from core.crypto import FieldCipher
from core.customers.models import Customer
from core.db.session import make_engine, make_session_factory, unit_of_work
from core.privacy.export import export_archive, export_customer
from core.privacy.retention import RetentionPolicy, apply_retention
from core.privacy.rotation import rotate_keys
from lendline import demo
from lendline.embedded import scratch_postgres

SECRET = "bench-secret-key-" + "x" * 32
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 16, tzinfo=dt.UTC)
CONVERSATIONS, PER_CONVERSATION, JOBS = 400, 100, 2000
BOOK = text("""
    WITH c AS (
        INSERT INTO conversations (channel, address, status, last_activity_at)
        SELECT 'whatsapp', '+1868777' || lpad(g::text, 4, '0'), 'active', :now
        FROM generate_series(1, :conversations) g RETURNING id
    ), m AS (
        INSERT INTO conversation_messages (conversation_id, channel, direction, author, body,
                                           meta, created_at)
        SELECT c.id, 'whatsapp', 'outbound', 'agent', 'Your balance is TTD 1,234.56, thanks',
               '{}'::jsonb,
               CASE WHEN n % 2 = 0 THEN :old ELSE :recent END
        FROM c, generate_series(1, :per) n RETURNING id, conversation_id
    )
    INSERT INTO outbox (conversation_id, message_id, channel, address, body, purpose,
                        idempotency_key, status, attempts, next_attempt_at, parts)
    SELECT m.conversation_id, m.id, 'whatsapp', '+18687770000', 'Your balance is ...', 'reply',
           'bench-' || m.id, 'delivered', 1, :now,
           '[{"text": "Your balance is ...", "sid": "SM1", "status": "delivered"}]'::jsonb
    FROM m
""")
FINISHED_JOBS = text("""
    WITH j AS (
        INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)
        SELECT 'messaging', 'twilio_inbound:handle_message',
               '{"message": {"body": "what is my balance"}}'::jsonb, 'succeeded'
        FROM generate_series(1, :jobs) RETURNING id
    )
    INSERT INTO procrastinate_events (job_id, type, at)
    SELECT id, 'succeeded', CASE WHEN id % 2 = 0 THEN :old ELSE :now END FROM j
""")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def main() -> None:
    cipher = FieldCipher(SECRET)
    with scratch_postgres("ll-bench-privacy-") as postgres:
        engine = make_engine(postgres.migrated_database("bench"), pool_size=2)
        factory = make_session_factory(engine)
        async with unit_of_work(factory) as session:
            await demo.seed(session, cipher=cipher, secret=SECRET, lender_name="Bench",
                            today=TODAY)
        async with unit_of_work(factory) as session:
            ids = (await session.scalars(select(Customer.id).order_by(Customer.id))).all()
            times, sizes = [], []
            for customer_id in ids:
                started = time.perf_counter()
                exported = await export_customer(session, cipher=cipher,
                                                 customer_id=customer_id, actor="bench", now=NOW)
                times.append(time.perf_counter() - started)
                sizes.append(len(json.dumps(exported)))
            started = time.perf_counter()
            archive = await export_archive(session, cipher=cipher, customer_id=ids[0],
                                           actor="bench", now=NOW)
            zipped = time.perf_counter() - started
        print(f"export of {len(ids)} demo customers: p50 {ms(statistics.median(times))}, "
              f"max {ms(max(times))}; largest {max(sizes):,} bytes of JSON; "
              f"zip of customer {ids[0]} {ms(zipped)} ({len(archive):,} bytes)")
        figure("export p50", round(statistics.median(times) * 1000), "ms")

        old, recent = NOW - dt.timedelta(days=8 * 365), NOW - dt.timedelta(days=30)
        async with unit_of_work(factory) as session:
            await session.execute(BOOK, {"conversations": CONVERSATIONS,
                                         "per": PER_CONVERSATION, "now": NOW, "old": old,
                                         "recent": recent})
            await session.execute(FINISHED_JOBS, {"jobs": JOBS, "now": NOW, "old": old})
        for run in ("first", "rerun"):
            async with unit_of_work(factory) as session:
                started = time.perf_counter()
                report = await apply_retention(session, policy=RetentionPolicy(), now=NOW)
                took = time.perf_counter() - started
            print(f"retention {run} over {CONVERSATIONS * PER_CONVERSATION:,} messages and "
                  f"{JOBS:,} jobs: {ms(took)}; {report}")
            figure(f"retention {run}", round(took * 1000), "ms")

        async with unit_of_work(factory) as session:
            started = time.perf_counter()
            rotated = await rotate_keys(session, cipher=FieldCipher(SECRET + "-new", [SECRET]),
                                        actor="bench")
            took = time.perf_counter() - started
        print(f"rotate_keys: {ms(took)}; {rotated}")
        figure("rotate keys", round(took * 1000), "ms")
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
