"""The daily settlement-offer job: registered after the delinquency run, judges offers for today."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.collections.settlement_models import OfferKind, OfferStatus
from core.collections.settlements import make_offer
from lendline import jobs
from tests.integration.servicing_book import m
from tests.integration.settlement_support import OFFER_DAY, arrears_loan, team


@pytest.fixture
def worker_db(connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = async_sessionmaker(bind=connection, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
    monkeypatch.setattr(jobs, "_sessions", factory)


def test_the_settlement_job_runs_after_the_delinquency_run() -> None:
    crons = {p.task.name: p.cron for p in jobs.app.periodic_registry.periodic_tasks.values()}
    assert crons["daily_settlement_offers"] == "15 5 * * *"
    assert crons["daily_delinquency"] == "0 5 * * *"


async def test_the_job_expires_an_offer_not_accepted_in_time(
    session: AsyncSession, worker_db: None
) -> None:
    people = await team(session)
    loan = await arrears_loan(session)
    made = await make_offer(session, loan_id=loan.id, staff_id=people.collector.id,
                            kind=OfferKind.LUMP_SUM, amount=m("9500.00"),
                            first_due_date=dt.date(2024, 4, 5), today=OFFER_DAY)
    await session.flush()
    on_deadline = int(dt.datetime(2024, 4, 3, 9, 15, tzinfo=dt.UTC).timestamp())
    assert await jobs.daily_settlement_offers(timestamp=on_deadline) == "2024-04-03: "
    day_after = int(dt.datetime(2024, 4, 4, 9, 15, tzinfo=dt.UTC).timestamp())
    assert await jobs.daily_settlement_offers(timestamp=day_after) == "2024-04-04: expired 1"
    await session.refresh(made)
    assert made.status is OfferStatus.EXPIRED
