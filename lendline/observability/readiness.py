"""`GET /readyz`: may this replica take traffic? The database answers a query, Redis answers
PING and the job queue's tables answer, each within the probe timeout, checked at once.

The queue check also reports procrastinate's worker heartbeats (every worker writes one to
`procrastinate_workers` every 10 s; one silent for 30 s is stalled). A missing heartbeat
fails the check only where this process runs its own worker (`LENDLINE_RUN_WORKER`): an
app replica whose separate workers are down can still accept and queue messages, and taking
it out of the load balancer would lose them instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import procrastinate
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

STALLED_AFTER: Final = 30.0  # seconds: procrastinate's own stalled_worker_timeout
WORKERS: Final = f"""
SELECT count(*) FILTER (WHERE last_heartbeat > now() - interval '{STALLED_AFTER:g} seconds')
           AS alive,
       EXTRACT(EPOCH FROM now() - max(last_heartbeat))::float AS last_heartbeat_age,
       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo') AS waiting
FROM procrastinate_workers
"""
_CREDENTIALS: Final = re.compile(r"//[^/\s@]*@")


class NotReady(Exception):
    """A check's answer that means not ready; the text says why."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"status": "ok" if self.ok else "failed", **self.detail}
        if self.reason is not None:
            answer["reason"] = self.reason
        return answer


def reason(error: BaseException) -> str:
    """What went wrong, in one line, without credentials from a URL."""
    first = (str(error).strip().splitlines() or [""])[0]
    words = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return _CREDENTIALS.sub("//", words)[:200]


async def _run(name: str, probe: Callable[[], Awaitable[dict[str, Any]]],
               within: float) -> Check:
    try:
        async with asyncio.timeout(within):
            return Check(name, ok=True, detail=await probe())
    except TimeoutError:
        return Check(name, ok=False, reason=f"no answer within {within:g} s")
    except Exception as error:  # any failure of a dependency is the answer, not a crash
        return Check(name, ok=False, reason=reason(error))


async def check_database(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {}


async def check_redis(redis: Redis) -> dict[str, Any]:
    if not await redis.ping():
        raise NotReady("PING was not answered with PONG")
    return {}


async def check_queue(queue: procrastinate.App, *, require_worker: bool) -> dict[str, Any]:
    row = await queue.connector.execute_query_one_async(WORKERS)
    age = row["last_heartbeat_age"]
    detail = {"workers": row["alive"], "jobs_waiting": row["waiting"],
              "last_heartbeat_seconds_ago": None if age is None else round(age, 1)}
    if require_worker and not row["alive"]:
        raise NotReady(f"no job worker has sent a heartbeat in the last {STALLED_AFTER:g} s")
    return detail


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready",
                "checks": {check.name: check.as_json() for check in self.checks}}


async def readiness(
    *, engine: AsyncEngine, redis: Redis, queue: procrastinate.App, within: float,
    require_worker: bool,
) -> Readiness:
    """Run the three checks at once, each given `within` seconds."""
    checks = await asyncio.gather(
        _run("database", lambda: check_database(engine), within),
        _run("redis", lambda: check_redis(redis), within),
        _run("queue", lambda: check_queue(queue, require_worker=require_worker), within),
    )
    return Readiness(list(checks))
