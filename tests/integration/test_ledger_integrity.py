"""The database's own checks on journal entries (migration 0004), met with raw SQL.

Two checks share the work. After every INSERT statement on `journal_lines`, each entry the
statement touched is summed once: no side may exceed the entry's recorded total. At commit,
each new entry is checked once: at least two lines, debits equal to credits and to the total.
Lines only ever add to an entry, so together they refuse an incomplete entry at commit and
any line offered to a complete one (committed earlier or already checked) at once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.ledger import periods, rules
from core.ledger.chart import AccountCode, ensure_chart
from core.ledger.lines import Line
from core.ledger.models import JournalEntry
from core.ledger.posting import EntryDraft, post_entries_batch, post_entry
from core.money import Money
from tests.conftest import check_constraints

ACTOR = "staff:1"
JAN_10, JAN_31, FEB_1 = dt.date(2026, 1, 10), dt.date(2026, 1, 31), dt.date(2026, 2, 1)
NOW = dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC)
Leg = tuple[str, str, str]  # account code, debit, credit

INSERT_ENTRY = text(
    "INSERT INTO journal_entries (posting_key, payload_hash, effective_date, posted_by, "
    "description, currency, total) VALUES (:key, 'h', :day, 'raw', 'Raw', 'TTD', :total) "
    "RETURNING id"
)


@pytest.fixture
async def ledger(session: AsyncSession) -> AsyncSession:
    await ensure_chart(session, actor="test")
    return session


async def raw_entry(
    db: AsyncSession | AsyncConnection, key: str, total: str, day: dt.date = JAN_10
) -> int:
    entry_id = await db.scalar(INSERT_ENTRY, {"key": key, "day": day, "total": total})
    assert entry_id is not None
    return int(entry_id)


async def raw_lines(db: AsyncSession | AsyncConnection, *legs: tuple[int, Leg]) -> None:
    """Insert lines, `(entry id, (code, debit, credit))` each, in ONE statement."""
    values = ", ".join(
        f"(:entry{n}, (SELECT id FROM accounts WHERE code = :code{n}), :debit{n}, :credit{n})"
        for n in range(len(legs))
    )
    params: dict[str, object] = {}
    for n, (entry_id, (code, debit, credit)) in enumerate(legs):
        params.update(
            {f"entry{n}": entry_id, f"code{n}": code, f"debit{n}": debit, f"credit{n}": credit}
        )
    await db.execute(
        text(f"INSERT INTO journal_lines (entry_id, account_id, debit, credit) VALUES {values}"),
        params,
    )


async def sides(db: AsyncSession | AsyncConnection, entry_id: int) -> list[tuple[Decimal, ...]]:
    rows = await db.execute(
        text("SELECT debit, credit FROM journal_lines WHERE entry_id = :id ORDER BY id"),
        {"id": entry_id},
    )
    return [tuple(row) for row in rows]


async def test_an_entry_written_line_by_line_is_checked_once_complete(
    ledger: AsyncSession,
) -> None:
    entry = await raw_entry(ledger, "raw-steps", "100.00")
    await raw_lines(ledger, (entry, ("1110", "60.00", "0")))
    await raw_lines(ledger, (entry, ("1110", "40.00", "0")))
    await raw_lines(ledger, (entry, ("3100", "0", "100.00")))
    await check_constraints(ledger)
    assert await sides(ledger, entry) == [
        (Decimal("60.00"), Decimal("0.00")),
        (Decimal("40.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("100.00")),
    ]


async def test_a_line_past_the_recorded_total_is_refused_by_its_own_insert(
    ledger: AsyncSession,
) -> None:
    entry = await raw_entry(ledger, "raw-over", "100.00")
    await raw_lines(ledger, (entry, ("1110", "60.00", "0")))
    with pytest.raises(
        DBAPIError,
        match=rf"entry {entry} lines total 110\.00 but the entry records 100\.00; lines may not",
    ):
        async with ledger.begin_nested():
            await raw_lines(ledger, (entry, ("1110", "50.00", "0")))
    assert await sides(ledger, entry) == [(Decimal("60.00"), Decimal("0.00"))]


async def test_lines_offered_after_the_commit_check_are_refused(ledger: AsyncSession) -> None:
    """Inside the test's rolled-back transaction: `check_constraints` runs the entry's
    deferred check as COMMIT would, and it will not run again for this entry. The
    statement check does not ask whether the entry was committed, only whether it is
    complete, and a committed entry always is; the test below commits for real."""
    entry = await post_entry(
        ledger,
        posting_key="cap",
        effective_date=JAN_10,
        lines=[
            Line.dr(AccountCode.BANK_OPERATING, Money.of("50000.00")),
            Line.cr(AccountCode.OWNER_CAPITAL, Money.of("50000.00")),
        ],
        description="Capital",
        actor=ACTOR,
    )
    await check_constraints(ledger)
    with pytest.raises(DBAPIError, match=r"lines total 50010\.00 but the entry records 50000\."):
        async with ledger.begin_nested():
            await raw_lines(
                ledger, (entry.id, ("1110", "10.00", "0")), (entry.id, ("3100", "0", "10.00"))
            )
    assert len(await sides(ledger, entry.id)) == 2


async def test_one_statement_for_many_entries_names_the_entry_past_its_total(
    ledger: AsyncSession,
) -> None:
    first, second = (
        await raw_entry(ledger, "raw-a", "100.00"),
        await raw_entry(ledger, "raw-b", "100.00"),
    )
    with pytest.raises(DBAPIError, match=rf"entry {second} lines total 105\.00 but the entry"):
        async with ledger.begin_nested():
            await raw_lines(
                ledger,
                (first, ("1110", "100.00", "0")),
                (first, ("3100", "0", "100.00")),
                (second, ("1110", "100.00", "0")),
                (second, ("3100", "0", "100.00")),
                (second, ("3100", "0", "5.00")),
            )
    assert await sides(ledger, first) == await sides(ledger, second) == []


async def test_one_insert_of_many_entries_is_refused_if_one_is_in_a_closed_period(
    ledger: AsyncSession,
) -> None:
    january = await periods.open_period(ledger, start=dt.date(2026, 1, 1), end=JAN_31, actor=ACTOR)
    await periods.close_period(ledger, period_id=january.id, actor=ACTOR, now=NOW)
    with pytest.raises(
        DBAPIError,
        match="period 2026-01-01 to 2026-01-31 is closed: no entry may be dated 2026-01-31",
    ):
        async with ledger.begin_nested():
            await ledger.execute(
                text(
                    "INSERT INTO journal_entries (posting_key, payload_hash, effective_date, "
                    "posted_by, description, currency, total) VALUES "
                    "('raw-feb', 'h', :feb, 'raw', 'Raw', 'TTD', 1), "
                    "('raw-jan', 'h', :jan, 'raw', 'Raw', 'TTD', 1)"
                ),
                {"feb": FEB_1, "jan": JAN_31},
            )
    assert await ledger.scalar(select(JournalEntry.id).limit(1)) is None


async def test_a_batch_of_four_line_repayments_is_stored_as_drafted(ledger: AsyncSession) -> None:
    awkward = "Repayment – \"Ünïcode\" \\ 'quoted'"  # survives the JSON the batch travels in
    drafts = [
        EntryDraft(
            f"pay-{n}",
            JAN_31,
            rules.repayment(
                loan_id=n,
                received=Money.of("1150.00"),
                fees=Money.of("50.00"),
                interest=Money.of("300.00"),
                principal=Money.of("800.00"),
            ),
            awkward,
            "payment",
            n,
        )
        for n in range(1, 4)
    ]
    result = await post_entries_batch(ledger, entries=drafts, actor="job:payments")
    await check_constraints(ledger)
    for entry_id in result.entry_ids:
        entry = await ledger.get(JournalEntry, entry_id)
        assert entry is not None and (entry.posting_key, entry.description) == (
            f"pay-{entry.source_id}",
            awkward,
        )
        assert await sides(ledger, entry_id) == [
            (Decimal("1150.00"), Decimal("0.00")),
            (Decimal("0.00"), Decimal("50.00")),
            (Decimal("0.00"), Decimal("300.00")),
            (Decimal("0.00"), Decimal("800.00")),
        ]


TEST_ACCOUNTS = {"T-INTEGRITY-DR": "asset", "T-INTEGRITY-CR": "equity"}


async def remove_committed(conn: AsyncConnection, keys: list[str]) -> None:
    """Delete what a test committed. The journal is append-only, so the delete runs with
    triggers off (`session_replication_role = replica`: the test database's superuser)."""
    await conn.rollback()
    async with conn.begin():
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        ids = "SELECT id FROM journal_entries WHERE posting_key = ANY(:keys)"
        await conn.execute(
            text(f"DELETE FROM journal_lines WHERE entry_id IN ({ids})"), {"keys": keys}
        )
        await conn.execute(
            text("DELETE FROM journal_entries WHERE posting_key = ANY(:keys)"), {"keys": keys}
        )
        await conn.execute(
            text("DELETE FROM accounts WHERE code = ANY(:codes)"), {"codes": list(TEST_ACCOUNTS)}
        )


async def committed_accounts(conn: AsyncConnection) -> None:
    async with conn.begin():
        for code, kind in TEST_ACCOUNTS.items():
            await conn.execute(
                text(
                    "INSERT INTO accounts (code, name, type, normal_balance, is_contra, "
                    "is_group, currency, active) VALUES (:code, :code, "
                    "CAST(:kind AS account_type), CAST(:normal AS normal_balance), "
                    "false, false, 'TTD', true)"
                ),
                {"code": code, "kind": kind, "normal": "debit" if kind == "asset" else "credit"},
            )


async def test_a_line_appended_to_an_entry_committed_earlier_is_refused(
    engine: AsyncEngine,
) -> None:
    """Committed for real: one transaction posts a complete entry; later ones offer it one
    line, then a balanced pair in one statement. Each INSERT is refused, nothing is added."""
    dr, cr = TEST_ACCOUNTS
    async with engine.connect() as conn:
        try:
            await committed_accounts(conn)
            async with conn.begin():
                entry = await raw_entry(conn, "t-integrity-posted", "25.00")
                await raw_lines(conn, (entry, (dr, "25.00", "0")), (entry, (cr, "0", "25.00")))
            for legs in ([(dr, "1.00", "0")], [(dr, "1.00", "0"), (cr, "0", "1.00")]):
                with pytest.raises(DBAPIError, match=rf"entry {entry} lines total 26\.00"):
                    async with conn.begin():
                        await raw_lines(conn, *((entry, leg) for leg in legs))
            assert len(await sides(conn, entry)) == 2
        finally:
            await remove_committed(conn, ["t-integrity-posted"])


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([("T-INTEGRITY-DR", "25.00", "0")], "has 1 line"),
        ([("T-INTEGRITY-DR", "25.00", "0"), ("T-INTEGRITY-CR", "0", "20.00")], "unbalanced"),
        (
            [("T-INTEGRITY-DR", "20.00", "0"), ("T-INTEGRITY-CR", "0", "20.00")],
            r"lines total 20\.00 but the entry records 25\.00",
        ),
    ],
)
async def test_commit_refuses_an_incomplete_entry(
    engine: AsyncEngine, legs: list[Leg], message: str
) -> None:
    """COMMIT itself runs the entry check (not `SET CONSTRAINTS`), and leaves nothing."""
    async with engine.connect() as conn:
        try:
            await committed_accounts(conn)
            with pytest.raises(DBAPIError, match=message):
                async with conn.begin():
                    entry = await raw_entry(conn, "t-integrity-short", "25.00")
                    await raw_lines(conn, *((entry, leg) for leg in legs))
            async with conn.begin():
                left = await conn.scalar(
                    text(
                        "SELECT count(*) FROM journal_entries WHERE posting_key LIKE 't-integrity%'"
                    )
                )
            assert left == 0
        finally:
            await remove_committed(conn, ["t-integrity-short"])
