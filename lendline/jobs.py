"""Background jobs on procrastinate, sharing the application's PostgreSQL.

`app` is the one procrastinate app of the process: tasks register on it here, and
`lendline.services.open_queue` gives it the database connector at start-up. Every job is
enqueued through `enqueue()` on the caller's own session, so the job exists if and only if
the change that caused it commits. Workers run in the `serve` process by default and as
separate `lendline worker` processes in production.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.twilio import delivery_jobs as twilio_delivery
from channels.twilio import inbound_jobs as twilio_inbound
from core.collections.delinquency import run_delinquency
from core.collections.settlement_progress import evaluate_open_offers
from core.db.session import unit_of_work
from core.loans.provisioning import run_provisioning
from core.loans.servicing import run_servicing
from core.payments.ports import ApplyPayment
from core.payments.service import process_event
from lendline import jobs_maintenance, jobs_retention
from lendline.settings import get_settings

log = logging.getLogger(__name__)

app = procrastinate.App(connector=procrastinate.PsycopgConnector())
app.add_tasks_from(twilio_inbound.blueprint, namespace="twilio_inbound")
app.add_tasks_from(jobs_maintenance.blueprint, namespace="maintenance")
app.add_tasks_from(jobs_retention.blueprint, namespace="retention")
_sessions: async_sessionmaker[AsyncSession] | None = None
_payment_applier: ApplyPayment | None = None


def bind(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Give job functions the session factory of the running process."""
    global _sessions
    _sessions = session_factory


def sessions() -> async_sessionmaker[AsyncSession]:
    if _sessions is None:
        raise RuntimeError("Jobs are not bound to a database; call jobs.bind() first.")
    return _sessions


twilio_delivery.register(app, settings=get_settings, sessions=sessions)


async def enqueue(session: AsyncSession, task: Any, /, **kwargs: Any) -> int:
    """Defer `task` inside the session's current transaction (committed or rolled back with it)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    job_id: int = await task.configure(connection=raw.driver_connection).defer_async(**kwargs)
    return job_id


class PaymentNotApplied(Exception):
    """Raised by `process_payment_event` so procrastinate retries it later."""


def set_payment_applier(applier: ApplyPayment | None) -> None:
    """Register the function that applies a confirmed payment to a loan (loan servicing)."""
    global _payment_applier
    _payment_applier = applier


def payment_applier() -> ApplyPayment:
    if _payment_applier is None:
        raise PaymentNotApplied(
            "No payment applier is registered: loan servicing must call "
            "lendline.jobs.set_payment_applier() at start-up. The job will be retried."
        )
    return _payment_applier


@app.task(
    name="process_payment_event",
    queue="payments",
    retry=procrastinate.RetryStrategy(max_attempts=10, exponential_wait=3),
)
async def process_payment_event(event_id: int) -> str:
    """Apply one stored provider event in its own transaction; raise so a failure is retried.

    The failure is committed on the event (attempts, error) before raising, so staff can see
    why a payment is waiting.
    """
    applier = payment_applier()
    async with sessions()() as session, session.begin():
        result = await process_event(
            session, event_id=event_id, apply_payment=applier, now=dt.datetime.now(dt.UTC)
        )
    if result.retry:
        raise PaymentNotApplied(f"Payment event {event_id} was not applied: {result.error}")
    return result.outcome.value


# The cron is read in UTC: 04:30 UTC is 00:30 in Port of Spain (UTC−4, no daylight saving).
@app.periodic(cron="30 4 * * *", periodic_id="nightly")
@app.task(name="nightly_servicing", queue="default", queueing_lock="nightly_servicing")
async def nightly_servicing(timestamp: int) -> str:
    """Service every active loan through today in the lender's time zone (accrual, due
    instalments, credit balances, late fees, days past due) in one transaction; a rerun for
    the same day changes nothing. See `core.loans.servicing.run_servicing`."""
    today = dt.datetime.fromtimestamp(timestamp, ZoneInfo(get_settings().timezone)).date()
    async with unit_of_work(sessions()) as session:
        result = await run_servicing(session, as_of=today)
    log.info("servicing through %s: %s", today, result)
    return f"{today}: run {result.run_id}"


# After the nightly servicing (04:30 UTC), so credit balances and payments are applied first.
@app.periodic(cron="0 5 * * *", periodic_id="daily")
@app.task(name="daily_delinquency", queue="default", queueing_lock="daily_delinquency")
async def daily_delinquency(timestamp: int) -> str:
    """The collections run for today in the lender's time zone: days past due and buckets,
    the snapshot, cases opened, moved and closed, promises judged, cases rescored, portfolio
    at risk. Idempotent for a date. See `core.collections.delinquency.run_delinquency`."""
    time_zone = get_settings().timezone
    today = dt.datetime.fromtimestamp(timestamp, ZoneInfo(time_zone)).date()
    async with unit_of_work(sessions()) as session:
        result = await run_delinquency(session, as_of=today, time_zone=time_zone)
    log.info("delinquency run for %s: %s", today, result.cases)
    return f"{today}: {result.cases.opened} opened, {result.cases.closed} closed"


# After the delinquency run: offers are judged on the payments servicing has applied.
@app.periodic(cron="15 5 * * *", periodic_id="daily")
@app.task(name="daily_settlement_offers", queue="default", queueing_lock="daily_settlements")
async def daily_settlement_offers(timestamp: int) -> str:
    """Judge accepted settlement offers and plans against the payments received (completed,
    broken) and expire unaccepted ones past their deadline, for today in the lender's time
    zone. See `core.collections.settlement_progress.evaluate_open_offers`."""
    today = dt.datetime.fromtimestamp(timestamp, ZoneInfo(get_settings().timezone)).date()
    async with unit_of_work(sessions()) as session:
        moved = await evaluate_open_offers(session, as_of=today, actor="system:settlements")
    log.info("settlement offers judged for %s: %s", today, moved)
    return f"{today}: " + ", ".join(f"{status.value} {count}" for status, count in moved.items())


# Daily at 05:10 UTC (01:10 in Port of Spain), after servicing and delinquency, posting only on
# the last day of the month: the allowance is a month-end figure, and a daily check rather
# than a day-of-month cron keeps that right whatever the month's length and time zone.
@app.periodic(cron="10 5 * * *", periodic_id="daily")
@app.task(name="monthly_provisioning", queue="default", queueing_lock="monthly_provisioning")
async def monthly_provisioning(timestamp: int) -> str:
    """On the last day of the month in the lender's time zone, bring the allowance for loan
    losses to what the book requires (one entry keyed `provision:{date}`; a rerun posts
    nothing); on other days do nothing. See `core.loans.provisioning.run_provisioning`."""
    today = dt.datetime.fromtimestamp(timestamp, ZoneInfo(get_settings().timezone)).date()
    if (today + dt.timedelta(days=1)).month == today.month:
        return f"{today}: not the last day of the month"
    async with unit_of_work(sessions()) as session:
        result = await run_provisioning(session, as_of=today)
    log.info("provisioning as of %s: required %s, change %s", today, result.required,
             result.change)
    return f"{today}: allowance {result.required} (change {result.change})"
