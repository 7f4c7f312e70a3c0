"""Posting to the general ledger: code checks, database checks, idempotency, periods, reversal.

Every refused input is asserted twice: the error a person reads, and an unchanged database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import (
    ClosedPeriod,
    ConflictError,
    IdempotencyConflict,
    InvalidTransition,
    NotFoundError,
    UnbalancedEntry,
    ValidationError,
)
from core.ledger import periods, rules
from core.ledger.chart import CHART, AccountCode, ensure_chart
from core.ledger.lines import Line
from core.ledger.models import Account, JournalEntry, JournalLine, NormalBalance
from core.ledger.posting import (
    BatchResult,
    EntryDraft,
    entry_lines,
    post_entries_batch,
    post_entry,
    reverse_entry,
)
from core.money import Money
from tests.conftest import check_constraints

ACTOR = "staff:1"
JAN_10, JAN_31, FEB_1 = dt.date(2026, 1, 10), dt.date(2026, 1, 31), dt.date(2026, 2, 1)
NOW = dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC)


def m(value: str) -> Money:
    return Money.of(value)


def capital(amount: str = "50000.00") -> list[Line]:
    return [
        Line.dr(AccountCode.BANK_OPERATING, m(amount)),
        Line.cr(AccountCode.OWNER_CAPITAL, m(amount)),
    ]


@pytest.fixture
async def ledger(session: AsyncSession) -> AsyncSession:
    await ensure_chart(session, actor="test")
    return session


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """Rows in journal_entries, journal_lines and audit_events."""
    return (
        await session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
        await session.scalar(select(func.count()).select_from(JournalLine)) or 0,
        await session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


async def account_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Account.id).where(Account.code == code))
    assert found is not None
    return found


async def test_ensure_chart_installs_the_chart_once(session: AsyncSession) -> None:
    created = await ensure_chart(session, actor="test")
    assert created == [spec.code.value for spec in CHART]
    assert await ensure_chart(session, actor="test") == []
    allowance = await session.scalar(select(Account).where(Account.code == "1290"))
    assert allowance is not None and allowance.is_contra
    assert allowance.normal_balance is NormalBalance.CREDIT
    parent = await session.get(Account, allowance.parent_id)
    assert parent is not None and (parent.code, parent.is_group) == ("1200", True)


async def test_post_entry_writes_the_lines_and_audits_them(ledger: AsyncSession) -> None:
    lines = rules.disbursement(loan_id=42, principal=m("10000.00"), deducted_fee=m("200.00"))
    entry = await post_entry(
        ledger,
        posting_key="loan-42-disbursed",
        effective_date=JAN_10,
        lines=lines,
        description="Disbursement of loan 42",
        source_type="loan",
        source_id=42,
        actor=ACTOR,
    )
    assert (entry.total, entry.currency, entry.posted_by) == (m("10000.00").amount, "TTD", ACTOR)
    assert [(line.account.code, line.debit, line.credit, line.loan_id) for line in entry.lines] == [
        ("1210", m("10000.00").amount, 0, 42),
        ("1110", 0, m("9800.00").amount, 42),
        ("4210", 0, m("200.00").amount, 42),
    ]
    assert entry_lines(entry) == lines
    events = await trail.history(ledger, entity_type="journal_entry", entity_id=entry.id)
    assert [e.action for e in events] == ["ledger.entry_posted"]
    assert events[0].after is not None and events[0].after["total"] == "10000.00"
    await check_constraints(ledger)


async def test_same_key_and_payload_returns_the_original_entry(ledger: AsyncSession) -> None:
    first = await post_entry(
        ledger,
        posting_key="cap-1",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    before = await counts(ledger)
    again = await post_entry(
        ledger,
        posting_key="cap-1",
        effective_date=JAN_10,
        lines=list(reversed(capital())),
        description="Capital",
        actor="x",
    )
    assert again.id == first.id
    assert await counts(ledger) == before


async def test_same_key_with_another_payload_is_a_conflict(ledger: AsyncSession) -> None:
    first = await post_entry(
        ledger,
        posting_key="cap-1",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    before = await counts(ledger)
    with pytest.raises(IdempotencyConflict, match=rf"'cap-1' was already used .*entry {first.id}"):
        await post_entry(
            ledger,
            posting_key="cap-1",
            effective_date=JAN_10,
            lines=capital("50000.01"),
            description="Capital",
            actor=ACTOR,
        )
    assert await counts(ledger) == before


@pytest.mark.parametrize(
    ("lines", "error", "message"),
    [
        (
            [Line.dr("1110", Money.of("5.00")), Line.cr("3100", Money.of("4.99"))],
            UnbalancedEntry,
            "differ by TTD 0.01",
        ),
        ([Line.dr("1110", Money.of("5.00"))], UnbalancedEntry, "at least two lines"),
        (
            [Line.dr("1110", Money.of("5.00")), Line.cr("9999", Money.of("5.00"))],
            ValidationError,
            "no account 9999",
        ),
        (
            [Line.dr("1200", Money.of("5.00")), Line.cr("3100", Money.of("5.00"))],
            ValidationError,
            "1200 Loans and receivables is a group heading",
        ),
        (
            [Line.dr("1110", Money.of("5.00", "USD")), Line.cr("3100", Money.of("5.00", "USD"))],
            ValidationError,
            "kept in TTD, not USD",
        ),
        (
            [Line.dr("1110", Money.of("5.00")), Line.cr("3100", Money.of("5.00", "USD"))],
            ValidationError,
            "one currency",
        ),
    ],
)
async def test_bad_entries_are_refused_in_code_and_write_nothing(
    ledger: AsyncSession, lines: list[Line], error: type[Exception], message: str
) -> None:
    before = await counts(ledger)
    with pytest.raises(error, match=message):
        await post_entry(
            ledger,
            posting_key="bad",
            effective_date=JAN_10,
            lines=lines,
            description="Bad",
            actor=ACTOR,
        )
    assert await counts(ledger) == before


async def test_inactive_accounts_and_bad_fields_are_refused(ledger: AsyncSession) -> None:
    await ledger.execute(text("UPDATE accounts SET active = false WHERE code = '5400'"))
    before = await counts(ledger)
    fee = [Line.dr("5400", m("1.00")), Line.cr("1110", m("1.00"))]
    with pytest.raises(ValidationError, match="5400 Payment processing fees is closed"):
        await post_entry(
            ledger,
            posting_key="k",
            effective_date=JAN_10,
            lines=fee,
            description="Fee",
            actor=ACTOR,
        )
    with pytest.raises(ValidationError, match="posting key is required"):
        await post_entry(
            ledger,
            posting_key=" ",
            effective_date=JAN_10,
            lines=capital(),
            description="Capital",
            actor=ACTOR,
        )
    with pytest.raises(ValidationError, match="needs a description"):
        await post_entry(
            ledger,
            posting_key="k",
            effective_date=JAN_10,
            lines=capital(),
            description="",
            actor=ACTOR,
        )
    with pytest.raises(ValidationError, match="needs a source type"):
        await post_entry(
            ledger,
            posting_key="k",
            effective_date=JAN_10,
            lines=capital(),
            description="Capital",
            source_id=3,
            actor=ACTOR,
        )
    assert await counts(ledger) == before


async def raw_entry(session: AsyncSession, key: str, total: str, day: dt.date = JAN_10) -> int:
    entry_id = await session.scalar(
        text(
            "INSERT INTO journal_entries (posting_key, payload_hash, effective_date, posted_by, "
            "description, currency, total) VALUES (:key, 'h', :day, 'raw', 'Raw', 'TTD', :total) "
            "RETURNING id"
        ),
        {"key": key, "day": day, "total": total},
    )
    assert entry_id is not None
    return int(entry_id)


async def raw_line(
    session: AsyncSession, entry_id: int, code: str, debit: str, credit: str
) -> None:
    await session.execute(
        text(
            "INSERT INTO journal_lines (entry_id, account_id, debit, credit) "
            "VALUES (:entry, :account, :debit, :credit)"
        ),
        {
            "entry": entry_id,
            "account": await account_id(session, code),
            "debit": debit,
            "credit": credit,
        },
    )


async def test_the_database_refuses_unbalanced_and_short_entries(ledger: AsyncSession) -> None:
    before = await counts(ledger)
    with pytest.raises(DBAPIError, match=r"unbalanced: debits 100\.00 but credits 90\.00"):
        async with ledger.begin_nested():
            entry = await raw_entry(ledger, "raw-1", "100.00")
            await raw_line(ledger, entry, "1110", "100.00", "0")
            await raw_line(ledger, entry, "3100", "0", "90.00")
            await check_constraints(ledger)
    with pytest.raises(DBAPIError, match="has 1 line"):
        async with ledger.begin_nested():
            entry = await raw_entry(ledger, "raw-2", "100.00")
            await raw_line(ledger, entry, "1110", "100.00", "0")
            await check_constraints(ledger)
    with pytest.raises(DBAPIError, match="has 0 line"):
        async with ledger.begin_nested():
            await raw_entry(ledger, "raw-3", "100.00")
            await check_constraints(ledger)
    with pytest.raises(DBAPIError, match=r"lines total 90\.00 but the entry records 100\.00"):
        async with ledger.begin_nested():
            entry = await raw_entry(ledger, "raw-4", "100.00")
            await raw_line(ledger, entry, "1110", "90.00", "0")
            await raw_line(ledger, entry, "3100", "0", "90.00")
            await check_constraints(ledger)
    with pytest.raises(IntegrityError, match="one_side_positive"):
        async with ledger.begin_nested():
            entry = await raw_entry(ledger, "raw-5", "100.00")
            await raw_line(ledger, entry, "1110", "100.00", "100.00")
    assert await counts(ledger) == before


async def test_the_database_refuses_lines_appended_to_a_posted_entry(ledger: AsyncSession) -> None:
    entry = await post_entry(
        ledger,
        posting_key="cap",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    await check_constraints(ledger)
    with pytest.raises(DBAPIError, match=r"lines total 50010\.00 but the entry records 50000\.00"):
        async with ledger.begin_nested():
            await raw_line(ledger, entry.id, "1110", "10.00", "0")
            await raw_line(ledger, entry.id, "3100", "0", "10.00")
            await check_constraints(ledger)


async def test_posted_entries_and_lines_cannot_change(ledger: AsyncSession) -> None:
    entry = await post_entry(
        ledger,
        posting_key="cap",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    for statement in (
        "UPDATE journal_entries SET description = 'x' WHERE id = :id",
        "DELETE FROM journal_entries WHERE id = :id",
        "UPDATE journal_lines SET debit = debit + 1 WHERE entry_id = :id",
        "DELETE FROM journal_lines WHERE entry_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with ledger.begin_nested():
                await ledger.execute(text(statement), {"id": entry.id})
    await check_constraints(ledger)  # TRUNCATE waits for no pending trigger events
    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.begin_nested():
            await ledger.execute(text("TRUNCATE journal_lines"))
    lines = await ledger.scalars(select(JournalLine.debit).where(JournalLine.entry_id == entry.id))
    assert sorted(lines) == [0, m("50000.00").amount]


async def test_a_closed_period_refuses_postings_in_code_and_in_the_database(
    ledger: AsyncSession,
) -> None:
    january = await periods.open_period(ledger, start=dt.date(2026, 1, 1), end=JAN_31, actor=ACTOR)
    await post_entry(
        ledger,
        posting_key="in-jan",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    closed = await periods.close_period(ledger, period_id=january.id, actor=ACTOR, now=NOW)
    assert (closed.status.value, closed.closed_by, closed.closed_at) == ("closed", ACTOR, NOW)
    events = await trail.history(ledger, entity_type="accounting_period", entity_id=january.id)
    assert [e.action for e in events] == ["ledger.period_opened", "ledger.period_closed"]
    before = await counts(ledger)
    with pytest.raises(ClosedPeriod, match="books for 2026-01-01 to 2026-01-31 are closed"):
        await post_entry(
            ledger,
            posting_key="late",
            effective_date=JAN_31,
            lines=capital(),
            description="Late capital",
            actor=ACTOR,
        )
    with pytest.raises(
        ClosedPeriod, match="Entry 'b-2': The books for 2026-01-01 to 2026-01-31 are closed"
    ):
        await post_entries_batch(
            ledger,
            actor=ACTOR,
            entries=[
                EntryDraft("b-1", FEB_1, capital(), "Capital"),
                EntryDraft("b-2", JAN_31, capital(), "Capital"),
            ],
        )
    with pytest.raises(DBAPIError, match="period 2026-01-01 to 2026-01-31 is closed"):
        async with ledger.begin_nested():
            await raw_entry(ledger, "raw-late", "1.00", JAN_31)
    with pytest.raises(DBAPIError, match="is closed: UPDATE refused"):
        async with ledger.begin_nested():
            await ledger.execute(text("UPDATE accounting_periods SET status = 'open'"))
    with pytest.raises(InvalidTransition, match="already closed"):
        await periods.close_period(ledger, period_id=january.id, actor=ACTOR, now=NOW)
    assert await counts(ledger) == before
    replay = await post_entry(
        ledger,
        posting_key="in-jan",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    assert replay.effective_date == JAN_10
    with pytest.raises(ClosedPeriod, match="are closed"):
        await reverse_entry(
            ledger,
            entry_id=replay.id,
            posting_key="in-jan-rev",
            effective_date=JAN_31,
            reason="Wrong month",
            actor=ACTOR,
        )
    correction = await reverse_entry(
        ledger,
        entry_id=replay.id,
        posting_key="in-jan-rev",
        effective_date=FEB_1,
        reason="Wrong month",
        actor=ACTOR,
    )
    assert (correction.reverses_entry_id, correction.effective_date) == (replay.id, FEB_1)
    await check_constraints(ledger)


async def test_periods_must_not_overlap_and_must_be_ordered(ledger: AsyncSession) -> None:
    await periods.open_period(ledger, start=dt.date(2026, 1, 1), end=JAN_31, actor=ACTOR)
    before = await counts(ledger)
    with pytest.raises(ConflictError, match="overlaps the period 2026-01-01 to 2026-01-31"):
        await periods.open_period(ledger, start=JAN_31, end=dt.date(2026, 2, 28), actor=ACTOR)
    with pytest.raises(ValidationError, match="cannot end"):
        await periods.open_period(ledger, start=FEB_1, end=JAN_31, actor=ACTOR)
    with pytest.raises(NotFoundError, match="no accounting period 999999"):
        await periods.close_period(ledger, period_id=999999, actor=ACTOR, now=NOW)
    with pytest.raises(IntegrityError, match="no_overlap"):
        async with ledger.begin_nested():
            await ledger.execute(
                text(
                    "INSERT INTO accounting_periods (start_date, end_date, status) "
                    "VALUES ('2026-01-15', '2026-02-15', 'open')"
                )
            )
    assert await counts(ledger) == before
    assert [p.start_date for p in await periods.list_periods(ledger)] == [dt.date(2026, 1, 1)]


async def test_reversal_mirrors_the_entry_once(ledger: AsyncSession) -> None:
    lines = rules.repayment(
        loan_id=7, received=m("500.00"), interest=m("120.00"), principal=m("380.00")
    )
    original = await post_entry(
        ledger,
        posting_key="pay-1",
        effective_date=JAN_10,
        lines=lines,
        description="Repayment",
        source_type="payment",
        source_id=9,
        actor=ACTOR,
    )
    reversal = await reverse_entry(
        ledger,
        entry_id=original.id,
        posting_key="pay-1-rev",
        effective_date=JAN_31,
        reason="Payment bounced",
        actor=ACTOR,
    )
    assert reversal.reverses_entry_id == original.id
    assert (reversal.source_type, reversal.source_id) == ("payment", 9)
    assert reversal.description == f"Reversal of entry {original.id}: Payment bounced"
    assert entry_lines(reversal) == [line.mirrored() for line in lines]
    events = await trail.history(ledger, entity_type="journal_entry", entity_id=reversal.id)
    assert [e.action for e in events] == ["ledger.entry_reversed"]
    again = await reverse_entry(
        ledger,
        entry_id=original.id,
        posting_key="pay-1-rev",
        effective_date=JAN_31,
        reason="Payment bounced",
        actor=ACTOR,
    )
    assert again.id == reversal.id
    before = await counts(ledger)
    with pytest.raises(ConflictError, match=f"already reversed by entry {reversal.id}"):
        await reverse_entry(
            ledger,
            entry_id=original.id,
            posting_key="pay-1-rev-2",
            effective_date=JAN_31,
            reason="Twice",
            actor=ACTOR,
        )
    with pytest.raises(IntegrityError, match="uq_journal_entries_reverses_entry_id"):
        async with ledger.begin_nested():
            await ledger.execute(
                text(
                    "INSERT INTO journal_entries (posting_key, payload_hash, effective_date, "
                    "posted_by, description, currency, total, reverses_entry_id) VALUES "
                    "('raw-rev', 'h', '2026-01-31', 'raw', 'Raw', 'TTD', 500, :id)"
                ),
                {"id": original.id},
            )
    assert await counts(ledger) == before
    await check_constraints(ledger)


async def test_bad_reversals_are_refused(ledger: AsyncSession) -> None:
    original = await post_entry(
        ledger,
        posting_key="cap",
        effective_date=JAN_31,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    before = await counts(ledger)
    with pytest.raises(NotFoundError, match="no journal entry 999999"):
        await reverse_entry(
            ledger,
            entry_id=999999,
            posting_key="r",
            effective_date=JAN_31,
            reason="Typo",
            actor=ACTOR,
        )
    with pytest.raises(ValidationError, match="before the entry it reverses"):
        await reverse_entry(
            ledger,
            entry_id=original.id,
            posting_key="r",
            effective_date=JAN_10,
            reason="Typo",
            actor=ACTOR,
        )
    with pytest.raises(ValidationError, match="needs a reason"):
        await reverse_entry(
            ledger,
            entry_id=original.id,
            posting_key="r",
            effective_date=JAN_31,
            reason=" ",
            actor=ACTOR,
        )
    with pytest.raises(IdempotencyConflict, match="'cap' was already used"):
        await reverse_entry(
            ledger,
            entry_id=original.id,
            posting_key="cap",
            effective_date=JAN_31,
            reason="Typo",
            actor=ACTOR,
        )
    assert await counts(ledger) == before


async def test_batch_posts_many_entries_with_one_audit_event(ledger: AsyncSession) -> None:
    drafts = [
        EntryDraft(
            f"accrual-{n}",
            JAN_31,
            rules.interest_accrual(loan_id=n, amount=m("12.34")),
            "Interest accrual",
            "loan",
            n,
        )
        for n in range(1, 6)
    ]
    result = await post_entries_batch(ledger, entries=drafts, actor="job:month-end")
    assert (result.created, result.replayed, len(result.entry_ids)) == (5, 0, 5)
    entries = [await ledger.get(JournalEntry, entry_id) for entry_id in result.entry_ids]
    assert [(e.posting_key, e.source_id, e.total) for e in entries if e] == [
        (f"accrual-{n}", n, m("12.34").amount) for n in range(1, 6)
    ]
    batch_events = await ledger.scalars(
        select(AuditEvent).where(AuditEvent.action == "ledger.batch_posted")
    )
    assert [e.after for e in batch_events] == [{"count": 5, "entry_ids": sorted(result.entry_ids)}]
    await check_constraints(ledger)
    before = await counts(ledger)
    replay = await post_entries_batch(ledger, entries=[drafts[0], *drafts], actor="job")
    assert (replay.created, replay.replayed) == (0, 6)
    assert replay.entry_ids == (result.entry_ids[0], *result.entry_ids)
    assert await counts(ledger) == before


async def test_a_bad_draft_refuses_the_whole_batch(ledger: AsyncSession) -> None:
    await post_entry(
        ledger,
        posting_key="taken",
        effective_date=JAN_10,
        lines=capital(),
        description="Capital",
        actor=ACTOR,
    )
    good = EntryDraft("good", JAN_10, capital(), "Capital")
    before = await counts(ledger)
    unbalanced = EntryDraft(
        "bad", JAN_10, [Line.dr("1110", m("2.00")), Line.cr("3100", m("1.00"))], "Bad"
    )
    with pytest.raises(UnbalancedEntry, match="Entry 'bad': Debits"):
        await post_entries_batch(ledger, entries=[good, unbalanced], actor=ACTOR)
    with pytest.raises(ValidationError, match="Entry 'nowhere': there is no account 0000"):
        await post_entries_batch(
            ledger,
            actor=ACTOR,
            entries=[
                good,
                EntryDraft(
                    "nowhere",
                    JAN_10,
                    [Line.dr("0000", m("1.00")), Line.cr("3100", m("1.00"))],
                    "Bad",
                ),
            ],
        )
    with pytest.raises(IdempotencyConflict, match="'taken' was already used"):
        await post_entries_batch(
            ledger,
            actor=ACTOR,
            entries=[good, EntryDraft("taken", JAN_10, capital("1.00"), "Capital")],
        )
    with pytest.raises(IdempotencyConflict, match="'good' appears twice"):
        await post_entries_batch(
            ledger,
            actor=ACTOR,
            entries=[good, EntryDraft("good", JAN_10, capital("1.00"), "Capital")],
        )
    assert await counts(ledger) == before
    assert await post_entries_batch(ledger, entries=[], actor=ACTOR) == BatchResult((), 0, 0)
