"""Gauges read from the database when `/metrics` is scraped: the outbox backlog, the
escalations waiting for a person, and the job queue's backlog, lag and live workers.

These describe the whole deployment, not one process, so every app replica reports the
same values: aggregate them with `max`, not `sum`. The queries run in one read-only
transaction under the probe timeout (a statement timeout on the server too); when they
fail, `lendline_state_up` is 0 and the other families are left out of that scrape.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Final

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.conversations.models import Channel

log = logging.getLogger(__name__)

BACKLOG: Final = ("pending", "sending", "failed")
OUTBOX = text("""
SELECT channel::text AS channel, status::text AS status, count(*) AS n,
       COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest
FROM outbox
WHERE status IN ('pending', 'sending')
   OR (status = 'failed' AND created_at > now() - interval '24 hours')
GROUP BY 1, 2
""")
ESCALATIONS = text("""
SELECT count(*) AS n,
       COALESCE(EXTRACT(EPOCH FROM now() - min(waiting_since)), 0)::float AS oldest
FROM escalations WHERE status = 'waiting'
""")
JOBS = text("""
SELECT j.queue_name AS queue, count(*) AS n,
       COALESCE(EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, e.at))), 0)::float
           AS lag
FROM procrastinate_jobs j
LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
GROUP BY 1
""")
WORKERS = text("""
SELECT count(*) FROM procrastinate_workers
WHERE last_heartbeat > now() - interval '30 seconds'
""")


def _gauge(name: str, documentation: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


async def _families(engine: AsyncEngine, queues: Iterable[str],
                    within: float) -> list[Metric]:
    outbox = _gauge("lendline_outbox_messages", "Outbox messages by channel and status: "
                    "pending and sending now, failed in the last 24 hours.",
                    ["channel", "status"])
    oldest = _gauge("lendline_outbox_oldest_pending_seconds",
                    "Age of the oldest pending outbox message, by channel.", ["channel"])
    waiting = _gauge("lendline_escalations_waiting",
                     "Escalated conversations waiting for a member of staff.")
    wait = _gauge("lendline_escalations_oldest_wait_seconds",
                  "How long the longest-waiting escalation has waited.")
    jobs = _gauge("lendline_jobs_waiting", "Jobs due and not yet started, by queue.", ["queue"])
    lag = _gauge("lendline_job_lag_seconds",
                 "Age of the oldest job due and not yet started, by queue.", ["queue"])
    workers = _gauge("lendline_job_workers",
                     "Job workers with a heartbeat in the last 30 s (all replicas).")
    async with engine.connect() as connection, connection.begin():
        await connection.execute(text(f"SET LOCAL statement_timeout = {int(within * 1000)}"))
        await connection.execute(text("SET TRANSACTION READ ONLY"))
        rows = (await connection.execute(OUTBOX)).all()
        counts = {(row.channel, row.status): row for row in rows}
        for channel in Channel:
            for status in BACKLOG:
                row = counts.get((channel.value, status))
                outbox.add_metric([channel.value, status], row.n if row else 0)
            pending = counts.get((channel.value, "pending"))
            oldest.add_metric([channel.value], pending.oldest if pending else 0.0)
        escalated = (await connection.execute(ESCALATIONS)).one()
        waiting.add_metric([], escalated.n)
        wait.add_metric([], escalated.oldest)
        due = {row.queue: row for row in (await connection.execute(JOBS)).all()}
        for queue in sorted(set(queues) | set(due)):
            jobs.add_metric([queue], due[queue].n if queue in due else 0)
            lag.add_metric([queue], due[queue].lag if queue in due else 0.0)
        workers.add_metric([], (await connection.execute(WORKERS)).scalar_one())
    return [outbox, oldest, waiting, wait, jobs, lag, workers]


async def state_families(engine: AsyncEngine, *, queues: Iterable[str],
                         within: float) -> list[Metric]:
    """The database-backed families, read now within `within` seconds, and
    `lendline_state_up` / `lendline_state_query_seconds` saying how that went."""
    started = time.perf_counter()
    families: list[Metric] = []
    try:
        async with asyncio.timeout(within):
            families = await _families(engine, queues, within)
    except Exception as error:  # a scrape reports the failure instead of failing
        log.warning("Could not read the state metrics from the database: %s", error)
    up = _gauge("lendline_state_up",
                "1 when the database-backed gauges were read in this scrape, else 0.")
    up.add_metric([], 1 if families else 0)
    took = _gauge("lendline_state_query_seconds", "How long reading them took.")
    took.add_metric([], time.perf_counter() - started)
    return [*families, up, took]
