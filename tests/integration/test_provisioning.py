"""Provisioning the allowance for loan losses by delinquency bucket, and write-offs drawing
on it only as far as it goes.

Book on 30 June 2024: five loans at 12% over 12 months, nothing ever paid, so days past due
run from each first due date (a month after disbursement):

| loan | disbursed | first due | days past due | bucket | rate | required |
| 20,000.00 | 10 Jun | 10 Jul | 0 | current | 1% | 200.00 |
| 10,000.00 | 20 May | 20 Jun | 10 | 1–30 | 5% | 500.00 |
| 8,000.00 | 15 Apr | 15 May | 46 | 31–60 | 25% | 2,000.00 |
| 6,000.00 | 1 Mar | 1 Apr | 90 | 61–90 | 50% | 3,000.00 |
| 4,000.00 | 15 Jan | 15 Feb | 136 | 90+ | 100% | 4,000.00 |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent
from core.collections.buckets import Bucket
from core.errors import ValidationError
from core.ledger import rules
from core.ledger.posting import get_entry, post_entry
from core.loans.provisioning import DEFAULT_LOSS_RATES, allowance_balance, run_provisioning
from core.loans.repayment import record_repayment
from core.loans.servicing import run_servicing
from core.loans.settlement import settle
from core.loans.writeoff import write_off
from lendline import jobs
from tests.integration.servicing_book import (
    ACTOR,
    Book,
    assert_books_agree,
    entries_keyed,
    gl,
    journal,
    m,
    open_book,
    open_loan,
    table_counts,
)

JUN_30, JUL_31 = dt.date(2024, 6, 30), dt.date(2024, 7, 31)
BOOK = (("20000.00", dt.date(2024, 6, 10)), ("10000.00", dt.date(2024, 5, 20)),
        ("8000.00", dt.date(2024, 4, 15)), ("6000.00", dt.date(2024, 3, 1)),
        ("4000.00", dt.date(2024, 1, 15)))


async def five_loans(session: AsyncSession, book: Book) -> list[int]:
    ids = [(await open_loan(session, book, principal=p, start=s)).id for p, s in BOOK]
    await run_servicing(session, as_of=JUN_30)
    return ids


async def posted(session: AsyncSession, entry_id: int | None) -> list[tuple[str, str, str]]:
    """The entry's lines as (account, "dr"|"cr", amount), sorted."""
    assert entry_id is not None
    entry = await get_entry(session, entry_id=entry_id)
    return sorted((line.account.code, "dr", str(line.debit)) if line.debit > 0
                  else (line.account.code, "cr", str(line.credit)) for line in entry.lines)


async def test_provision_by_bucket_then_rerun_then_release(session: AsyncSession) -> None:
    book = await open_book(session)
    ids = await five_loans(session, book)
    result = await run_provisioning(session, as_of=JUN_30, actor=ACTOR)
    assert [(b.bucket, b.loans, b.principal, b.rate, b.required) for b in result.buckets] == [
        (Bucket.CURRENT, 1, m("20000.00"), Decimal("0.01"), m("200.00")),
        (Bucket.DPD_1_30, 1, m("10000.00"), Decimal("0.05"), m("500.00")),
        (Bucket.DPD_31_60, 1, m("8000.00"), Decimal("0.25"), m("2000.00")),
        (Bucket.DPD_61_90, 1, m("6000.00"), Decimal("0.50"), m("3000.00")),
        (Bucket.DPD_90_PLUS, 1, m("4000.00"), Decimal("1.00"), m("4000.00")),
    ]
    assert (result.required, result.previous, result.change, result.posted) == (
        m("9700.00"), m("0.00"), m("9700.00"), True)
    # Dr 5100 Provision expense 9,700.00 / Cr 1290 Allowance 9,700.00
    assert await posted(session, result.entry_id) == [
        ("1290", "cr", "9700.00"), ("5100", "dr", "9700.00")]
    [entry] = await entries_keyed(session, "provision:")
    assert (entry.posting_key, entry.effective_date) == ("provision:2024-06-30", JUN_30)
    assert await session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "loans.provisioned")) == 1

    before = await table_counts(session)
    again = await run_provisioning(session, as_of=JUN_30, actor=ACTOR)
    assert (again.posted, again.change, again.entry_id) == (False, m("0.00"), result.entry_id)
    assert await table_counts(session) == before

    # July: the three oldest loans are settled; the other two age a bucket each.
    # 20,000.00 first due 10 Jul: 21 days, 1–30 → 1,000.00; 10,000.00: 41 days, 31–60 →
    # 2,500.00. Required 3,500.00: release 6,200.00, Dr 1290 / Cr 5100.
    for loan_id in ids[2:]:
        await settle(session, loan_id=loan_id, as_of=JUL_31, idempotency_key=f"s-{loan_id}",
                     actor=ACTOR)
    await run_servicing(session, as_of=JUL_31)
    july = await run_provisioning(session, as_of=JUL_31, actor=ACTOR)
    assert [(b.bucket, b.loans, b.required) for b in july.buckets if b.loans] == [
        (Bucket.DPD_1_30, 1, m("1000.00")), (Bucket.DPD_31_60, 1, m("2500.00"))]
    assert (july.required, july.previous, july.change) == (
        m("3500.00"), m("9700.00"), m("-6200.00"))
    assert await posted(session, july.entry_id) == [
        ("1290", "dr", "6200.00"), ("5100", "cr", "6200.00")]
    balances = await gl(session)
    assert (balances["1290"], balances["5100"]) == (m("3500.00"), m("3500.00"))
    assert await allowance_balance(session, as_of=JUN_30) == m("9700.00")
    await assert_books_agree(session)


async def test_write_off_uses_the_allowance_only_as_far_as_it_goes(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)  # 10,000.00 from 15 January 2024
    await record_repayment(session, loan_id=loan.id, amount=m("888.49"),
                           paid_on=dt.date(2024, 2, 15), idempotency_key="p-1", actor=ACTOR)
    await run_servicing(session, as_of=dt.date(2024, 3, 31))
    # Instalment 2 (15 Mar) unpaid: 16 days, 1–30, 5% × 9,211.51 = 460.5755 → 460.58.
    provisioned = await run_provisioning(session, as_of=dt.date(2024, 3, 31), actor=ACTOR)
    assert provisioned.required == m("460.58")

    transaction = await write_off(session, loan_id=loan.id, as_of=dt.date(2024, 6, 1),
                                  reason="absconded", actor=ACTOR)
    # Principal 9,211.51 and interest 289.65 written off. The allowance holds 460.58: it
    # absorbs that much principal; the other 8,750.93 of principal and the interest go to
    # expense, 9,040.58. Dr 1290 460.58, Dr 5200 9,040.58 / Cr 1210 9,211.51, Cr 1220 289.65
    assert await journal(session, transaction) == [
        ("1210", "cr", "9211.51"), ("1220", "cr", "289.65"), ("1290", "dr", "460.58"),
        ("5200", "dr", "9040.58")]
    assert await allowance_balance(session, as_of=dt.date(2024, 6, 1)) == m("0.00")
    assert (await gl(session))["1290"] == m("0.00")

    # Nothing active is left and the allowance is empty: nothing to post.
    empty = await run_provisioning(session, as_of=dt.date(2024, 6, 30), actor=ACTOR)
    assert (empty.required, empty.change, empty.entry_id, empty.posted) == (
        m("0.00"), m("0.00"), None, False)
    await assert_books_agree(session)


async def test_an_overdrawn_allowance_is_topped_up_to_the_requirement(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    ids = await five_loans(session, book)
    custom = {**DEFAULT_LOSS_RATES, Bucket.CURRENT.value: Decimal("0.02")}
    # A write-off posted by the ledger rule directly (as before this policy) overdrew 1290.
    await post_entry(session, posting_key="legacy-write-off", effective_date=JUN_30,
                     lines=rules.write_off(loan_id=ids[0], principal=m("150.00"),
                                           allowance_used=m("150.00")),
                     description="legacy", actor=ACTOR)
    result = await run_provisioning(session, as_of=JUN_30, actor=ACTOR, rates=custom)
    # current 2% × 20,000.00 = 400.00, so 9,900.00 required; from −150.00: 10,050.00.
    assert (result.required, result.previous, result.change) == (
        m("9900.00"), m("-150.00"), m("10050.00"))
    assert await posted(session, result.entry_id) == [
        ("1290", "cr", "10050.00"), ("5100", "dr", "10050.00")]


@pytest.mark.parametrize(("rates", "message"), [
    ({"current": Decimal("0.01")}, "exactly the buckets"),
    ({**DEFAULT_LOSS_RATES, "120+": Decimal("1")}, "exactly the buckets"),
    ({**DEFAULT_LOSS_RATES, "90+": Decimal("1.5")}, "between 0 and 1"),
    ({**DEFAULT_LOSS_RATES, "1-30": Decimal("-0.1")}, "between 0 and 1"),
])
async def test_bad_rates_are_refused_and_change_nothing(
    session: AsyncSession, rates: dict[str, Decimal], message: str
) -> None:
    book = await open_book(session)
    await five_loans(session, book)
    before = await table_counts(session)
    with pytest.raises(ValidationError, match=message):
        await run_provisioning(session, as_of=JUN_30, actor=ACTOR, rates=rates)
    assert await table_counts(session) == before


@pytest.fixture
def worker_db(connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job opens its unit of work on the test's connection, inside its transaction."""
    factory = async_sessionmaker(bind=connection, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
    monkeypatch.setattr(jobs, "_sessions", factory)


async def test_the_job_provisions_on_the_last_day_of_the_month_only(
    session: AsyncSession, worker_db: None
) -> None:
    [periodic] = [p for p in jobs.app.periodic_registry.periodic_tasks.values()
                  if p.task.name == "monthly_provisioning"]
    assert periodic.cron == "10 5 * * *"  # 01:10 in Port of Spain
    book = await open_book(session)
    await five_loans(session, book)
    await session.flush()
    # 05:10 UTC on 30 June is 01:10 on the 30th in Port of Spain; on the 29th, nothing.
    day_before = int(dt.datetime(2024, 6, 29, 5, 10, tzinfo=dt.UTC).timestamp())
    assert await jobs.monthly_provisioning(timestamp=day_before) == (
        "2024-06-29: not the last day of the month")
    assert await entries_keyed(session, "provision:") == []
    month_end = int(dt.datetime(2024, 6, 30, 5, 10, tzinfo=dt.UTC).timestamp())
    assert await jobs.monthly_provisioning(timestamp=month_end) == (
        "2024-06-30: allowance TTD 9,700.00 (change TTD 9,700.00)")
    assert await jobs.monthly_provisioning(timestamp=month_end) == (
        "2024-06-30: allowance TTD 9,700.00 (change TTD 0.00)")
    assert [e.posting_key for e in await entries_keyed(session, "provision:")] == [
        "provision:2024-06-30"]
