"""The statements that read and write the journal for `core.ledger.posting`.

Entries and their lines are written by one statement, whatever the number of entries: the
rows travel as two JSON documents unpacked by jsonb_to_recordset (much cheaper to encode
than arrays of quoted strings), the lines inserted by a second INSERT in the same WITH.
A month-end batch costs the same round trip as a single entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.ledger.drafts import Prepared
from core.ledger.models import Account, JournalEntry

INSERT_JOURNAL = text(
    """
    WITH input AS (
        SELECT * FROM jsonb_to_recordset(CAST(:entries AS jsonb)) AS e(
            n int, key varchar, hash varchar, day date, description varchar,
            source_type varchar, source_id bigint, reverses bigint, currency varchar,
            total numeric)
    ), entries AS (
        INSERT INTO journal_entries (posting_key, payload_hash, effective_date, posted_by,
            description, source_type, source_id, reverses_entry_id, currency, total)
        SELECT key, hash, day, CAST(:actor AS varchar), description, source_type, source_id,
            reverses, currency, total
        FROM input ORDER BY n
        ON CONFLICT DO NOTHING
        RETURNING id, posting_key
    ), lines AS (
        INSERT INTO journal_lines (entry_id, account_id, debit, credit, loan_id)
        SELECT entries.id, l.account_id, l.debit, l.credit, l.loan_id
        FROM jsonb_to_recordset(CAST(:lines AS jsonb)) AS l(
            p int, n int, account_id bigint, debit numeric, credit numeric, loan_id bigint)
        JOIN input ON input.n = l.n
        JOIN entries ON entries.posting_key = input.key
        ORDER BY l.p
    )
    SELECT id, posting_key FROM entries
    """
)


async def existing_keys(session: AsyncSession, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Entry id and payload hash of each of `keys` already posted."""
    wanted = select(func.jsonb_array_elements_text(bindparam("keys", list(keys), type_=JSONB)))
    rows = await session.execute(
        select(JournalEntry.id, JournalEntry.posting_key, JournalEntry.payload_hash).where(
            JournalEntry.posting_key.in_(wanted.scalar_subquery())
        )
    )
    return {key: (entry_id, digest) for entry_id, key, digest in rows}


async def account_ids(session: AsyncSession, prepared: Sequence[Prepared]) -> dict[str, int]:
    """Ids of the accounts the entries post to; refuses unknown, inactive and group accounts
    and accounts kept in another currency (`ValidationError` naming the entry)."""
    codes = set().union(*(p.codes for p in prepared))
    rows = await session.scalars(select(Account).where(Account.code.in_(codes)))
    found = {account.code: account for account in rows}
    for p in prepared:
        for code in sorted(p.codes):
            account = found.get(code)
            if account is None:
                problem = f"there is no account {code} in the chart."
            elif not account.active:
                problem = f"account {code} {account.name} is closed to postings."
            elif account.is_group:
                problem = f"account {code} {account.name} is a group heading; post to one below it."
            elif account.currency != p.currency:
                problem = f"account {code} is kept in {account.currency}, not {p.currency}."
            else:
                continue
            raise ValidationError(f"Entry {p.key!r}: {problem}")
    return {code: account.id for code, account in found.items()}


async def insert_journal(
    session: AsyncSession, prepared: Sequence[Prepared], *, actor: str, accounts: dict[str, int]
) -> dict[str, int]:
    """Insert the entries and their lines (in posting order) in one statement.

    Returns posting key → id for the entries actually inserted: a key (or a reversal link)
    taken meanwhile by a concurrent transaction is skipped with its lines (ON CONFLICT DO
    NOTHING), so the caller can look it up and compare payloads.
    """
    entries = [
        {
            "n": n,
            "key": p.key,
            "hash": p.hash,
            "day": p.draft.effective_date.isoformat(),
            "description": p.description,
            "source_type": p.draft.source_type,
            "source_id": p.draft.source_id,
            "reverses": p.reverses_entry_id,
            "currency": p.currency,
            "total": str(p.total),
        }
        for n, p in enumerate(prepared)
    ]
    lines = [
        {
            "p": position,
            "n": n,
            "account_id": accounts[line.account],
            "debit": str(line.debit.amount) if line.debit else "0",
            "credit": str(line.credit.amount) if line.credit else "0",
            "loan_id": line.loan_id,
        }
        for position, (n, line) in enumerate(
            (n, line) for n, p in enumerate(prepared) for line in p.draft.lines
        )
    ]
    rows = await session.execute(
        INSERT_JOURNAL, {"actor": actor, "entries": json.dumps(entries), "lines": json.dumps(lines)}
    )
    return {key: entry_id for entry_id, key in rows}
