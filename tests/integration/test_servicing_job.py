"""The nightly servicing job: registered as periodic, and run for the lender's today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from lendline import jobs
from tests.integration.servicing_book import fresh, open_book, open_loan


@pytest.fixture
def worker_db(connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job opens its unit of work on the test's connection, inside its transaction."""
    factory = async_sessionmaker(bind=connection, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
    monkeypatch.setattr(jobs, "_sessions", factory)


def test_the_nightly_run_is_a_periodic_task() -> None:
    [periodic] = [p for p in jobs.app.periodic_registry.periodic_tasks.values()
                  if p.task.name == "nightly_servicing"]
    assert periodic.cron == "30 4 * * *"  # 00:30 in Port of Spain


async def test_the_job_services_every_loan_through_today_in_the_lenders_time_zone(
    session: AsyncSession, worker_db: None
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    await session.flush()
    # 04:30 UTC on 16 February 2024 is 00:30 on the 16th in Port of Spain.
    at = int(dt.datetime(2024, 2, 16, 4, 30, tzinfo=dt.UTC).timestamp())
    assert (await jobs.nightly_servicing(timestamp=at)).startswith("2024-02-16: run ")
    serviced = await fresh(session, loan.id)
    assert serviced.accrued_through == dt.date(2024, 2, 16)
    assert serviced.interest_receivable == Decimal("103.17")  # 100.00 + 92.12 × 1/29
    assert serviced.days_past_due == 1
    assert await jobs.nightly_servicing(timestamp=at) == "2024-02-16: run None"
