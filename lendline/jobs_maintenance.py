"""Maintenance jobs: payment reminders, checkpoint pruning and knowledge re-indexing.

A Blueprint that `lendline.jobs` adds to the process's procrastinate app under the namespace
`maintenance`, so `serve`'s in-process worker and `lendline worker` run these jobs with the
others (both listen on every queue). Each job is a thin wrapper around a tested service:
`core.collections.reminder_run`, `agent.checkpoint_maintenance`, `knowledge.reindex`. Crons
are read in UTC; the comments give the time in Port of Spain (UTC−4, no daylight saving).
See docs/operations-jobs.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Final
from zoneinfo import ZoneInfo

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.checkpoint_maintenance import prune_checkpoints
from core.collections.reminder_run import PURPOSE, ReminderPolicy, run_reminders
from core.db.session import unit_of_work
from knowledge.embedding import embedder_from_settings
from knowledge.reindex import configured_folders, reindex
from lendline.settings import get_settings

log = logging.getLogger(__name__)

blueprint = procrastinate.Blueprint()
FOLLOW_UP_STEP: Final = dt.timedelta(minutes=15)
# Database and network trouble passes; a retry is safe because every job here is idempotent.
TRANSIENT: Final = procrastinate.RetryStrategy(
    max_attempts=3, wait=30, linear_wait=60, retry_exceptions=(DBAPIError, OSError, TimeoutError))


def _sessions() -> async_sessionmaker[AsyncSession]:
    # Imported on use: lendline.jobs imports this module to add its blueprint to the app.
    from lendline import jobs

    return jobs.sessions()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def follow_up_time(retry_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When to run again for reminders deferred until `retry_at`: the next quarter hour from
    it (at least a minute after `now`), so a day's deferrals share a few runs."""
    at = max(retry_at, now + dt.timedelta(minutes=1)).astimezone(dt.UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -(-(at - midnight) // FOLLOW_UP_STEP)
    return midnight + steps * FOLLOW_UP_STEP


# 14:00 UTC is 10:00 in Port of Spain: inside contact hours (Monday–Saturday 08:00–20:00 in
# the borrower's time zone), and after the nightly servicing has marked today's instalments
# due. Reminders that cannot go yet (another time zone, cooling-off) are deferred by
# queueing this task again later the same day with the same timestamp, hence its `lock`.
@blueprint.periodic(cron="0 14 * * *", periodic_id="daily")
@blueprint.task(name="payment_reminders", queue="default", queueing_lock="payment_reminders",
                lock="payment_reminders", retry=TRANSIENT)
async def payment_reminders(timestamp: int) -> str:
    """Remind borrowers of instalments due in `reminder_days_before` days and promises due
    tomorrow, for the lender's day of `timestamp`, within the contact rules; once per
    borrower and day. See `core.collections.reminder_run`."""
    settings = get_settings()
    today = dt.datetime.fromtimestamp(timestamp, ZoneInfo(settings.timezone)).date()
    if not settings.reminders_enabled:
        return f"{today}: reminders are switched off (LENDLINE_REMINDERS_ENABLED)"
    policy = ReminderPolicy(
        lender_name=settings.lender_name, time_zone=settings.timezone,
        days_before=tuple(settings.reminder_days_before),
        whatsapp_template=settings.whatsapp_templates.get(PURPOSE))
    report = await run_reminders(_sessions(), as_of=today, policy=policy, clock=_utc_now)
    if report.retry_at is not None:
        at = follow_up_time(report.retry_at, _utc_now())
        try:
            await payment_reminders.configure(
                schedule_at=at, queueing_lock=f"payment_reminders:{today}:{at:%H%M}",
            ).defer_async(timestamp=timestamp)
        except AlreadyEnqueued:
            pass  # a run at that time is already waiting; it covers these borrowers too
    log.info("payment reminders %s", report.summary())
    return report.summary()


# 06:45 UTC is 02:45 in Port of Spain: the quietest hour, after the nightly runs.
@blueprint.periodic(cron="45 6 * * *", periodic_id="daily")
@blueprint.task(name="prune_checkpoints", queue="maintenance", queueing_lock="prune_checkpoints",
                lock="prune_checkpoints", retry=TRANSIENT)
async def checkpoint_pruning(timestamp: int) -> str:
    """Trim agent checkpoints of conversations idle `checkpoint_idle_days` to the latest
    `checkpoint_keep`, and clear those of conversations closed `checkpoint_closed_days` ago
    or gone, as of `timestamp`. See `agent.checkpoint_maintenance`."""
    settings = get_settings()
    now = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    report = await prune_checkpoints(
        _sessions(), idle_before=now - dt.timedelta(days=settings.checkpoint_idle_days),
        closed_before=now - dt.timedelta(days=settings.checkpoint_closed_days),
        keep=settings.checkpoint_keep)
    log.info("checkpoint pruning: %s", report.summary())
    return report.summary()


# 07:30 UTC is 03:30 in Port of Spain; also queued on demand (`request_reindex`).
@blueprint.periodic(cron="30 7 * * *", periodic_id="daily")
@blueprint.task(name="reindex_knowledge", queue="maintenance", queueing_lock="reindex_knowledge",
                lock="reindex_knowledge", retry=TRANSIENT)
async def reindex_knowledge(timestamp: int) -> str:
    """Sync the bundled knowledge content and `knowledge_folders` into the knowledge base:
    changed documents re-embedded, unchanged ones skipped. See `knowledge.reindex`."""
    settings = get_settings()
    folders = configured_folders(settings.knowledge_folders)
    async with unit_of_work(_sessions()) as session:
        report = await reindex(session, folders=folders, embedder=embedder_from_settings(settings))
    for collection, ingest in report.reports.items():
        for error in ingest.errors:
            log.warning("knowledge re-index, %s: %s", collection, error.message)
    for message in report.missing:
        log.warning("knowledge re-index: %s", message)
    started = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    log.info("knowledge re-index of %s: %s", f"{started:%Y-%m-%d %H:%M}", report.summary())
    return report.summary()


async def request_reindex() -> int | None:
    """Queue a knowledge re-index now; None when one is already waiting (it will pick up the
    same changes). Code below the composition root defers it by name instead:
    `app.configure_task("maintenance:reindex_knowledge").defer_async(timestamp=...)`, which
    applies the same queueing lock."""
    try:
        job_id: int = await reindex_knowledge.configure().defer_async(timestamp=int(time.time()))
    except AlreadyEnqueued:
        return None
    return job_id
