"""The Twilio sender in the process: started by the app, and swept every minute by a job.

`serve()` starts the serving process's sender (listening for nudges) and makes it the one
this process's jobs use. The periodic `outbox:sweep` job delivers every row that is due:
retries, rows whose nudge was missed, rows left `sending` by a replica that died. A worker
process with no serving app (`lendline worker`) builds a sender for each sweep from the
settings and sessions given to `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import procrastinate
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.twilio.delivery import OutboxSender, TwilioConfig

blueprint = procrastinate.Blueprint()
_serving: list[OutboxSender] = []
_sources: dict[str, Callable[[], Any]] = {}


def register(
    app: procrastinate.App, *, settings: Callable[[], Any],
    sessions: Callable[[], async_sessionmaker[AsyncSession]],
) -> None:
    """Add the outbox jobs to `app`; `settings` and `sessions` give a worker its sender."""
    app.add_tasks_from(blueprint, namespace="outbox")
    _sources.update(settings=settings, sessions=sessions)


async def serve(
    settings: Any, *, session_factory: async_sessionmaker[AsyncSession], redis: Redis,
) -> OutboxSender:
    """Start this process's sender: listening for nudges, and used by this process's sweeps.
    The caller closes it (`await sender.close()`) on shutdown."""
    sender = OutboxSender(TwilioConfig.from_settings(settings), session_factory=session_factory)
    sender.start(redis)
    _serving[:] = [sender]
    return sender


@blueprint.periodic(cron="* * * * *", periodic_id="outbox_sweep")
@blueprint.task(name="sweep", queue="outbox", queueing_lock="outbox_sweep")
async def sweep(timestamp: int) -> str:
    """Deliver every SMS and WhatsApp row that is due; see `OutboxSender.sweep`."""
    serving = next((sender for sender in _serving if not sender.closed), None)
    if serving is not None:
        return str(await serving.sweep())
    sender = OutboxSender(TwilioConfig.from_settings(_sources["settings"]()),
                          session_factory=_sources["sessions"]())
    try:
        return str(await sender.sweep())
    finally:
        await sender.close()
