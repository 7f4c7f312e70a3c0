"""The statements that read and write the journal for `core.ledger.posting`.

Entries and their lines are written by one statement, whatever the number of entries: the
rows travel as two JSON documents of positional arrays, one array per row (cheaper to encode
and to unpack than JSON objects, and much cheaper than SQL arrays of quoted strings), the
lines inserted by a second INSERT in the same WITH. A month-end batch costs the same round
trip as a single entry.
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
        SELECT n, e->>0 AS key, e->>1 AS hash, CAST(e->>2 AS date) AS day,
            e->>3 AS description, e->>4 AS source_type, CAST(e->>5 AS bigint) AS source_id,
            CAST(e->>6 AS bigint) AS reverses, e->>7 AS currency, CAST(e->>8 AS numeric) AS total
        FROM jsonb_array_elements(CAST(:entries AS jsonb)) WITH ORDINALITY AS input(e, n)
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
        SELECT entries.id, CAST(l->>1 AS bigint), CAST(l->>2 AS numeric),
            CAST(l->>3 AS numeric), CAST(l->>4 AS bigint)
        FROM jsonb_array_elements(CAST(:lines AS jsonb)) WITH ORDINALITY AS line(l, p)
        JOIN input ON input.n = CAST(l->>0 AS bigint)
        JOIN entries ON entries.posting_key = input.key
        ORDER BY p
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
    and accounts kept in another currency (`ValidationError` naming the first bad entry)."""
    uses = {(code, p.currency) for p in prepared for code in p.codes}
    rows = await session.scalars(select(Account).where(Account.code.in_({c for c, _ in uses})))
    found = {account.code: account for account in rows}
    if any(_problem(found.get(code), code, currency) for code, currency in uses):
        for p in prepared:
            for code in sorted(p.codes):
                problem = _problem(found.get(code), code, p.currency)
                if problem:
                    raise ValidationError(f"Entry {p.key!r}: {problem}")
    return {code: account.id for code, account in found.items()}


def _problem(account: Account | None, code: str, currency: str) -> str | None:
    if account is None:
        return f"there is no account {code} in the chart."
    if not account.active:
        return f"account {code} {account.name} is closed to postings."
    if account.is_group:
        return f"account {code} {account.name} is a group heading; post to one below it."
    if account.currency != currency:
        return f"account {code} is kept in {account.currency}, not {currency}."
    return None


async def insert_journal(
    session: AsyncSession, prepared: Sequence[Prepared], *, actor: str, accounts: dict[str, int]
) -> dict[str, int]:
    """Insert the entries and their lines (in posting order) in one statement.

    Returns posting key → id for the entries actually inserted: a key (or a reversal link)
    taken meanwhile by a concurrent transaction is skipped with its lines (ON CONFLICT DO
    NOTHING), so the caller can look it up and compare payloads.
    """
    entries = [
        [
            p.key,
            p.hash,
            p.draft.effective_date.isoformat(),
            p.description,
            p.draft.source_type,
            p.draft.source_id,
            p.reverses_entry_id,
            p.currency,
            str(p.total),
        ]
        for p in prepared
    ]
    lines = [
        [
            n,
            accounts[line.account],
            "0" if line.debit is None else str(line.debit.amount),
            "0" if line.credit is None else str(line.credit.amount),
            line.loan_id,
        ]
        for n, p in enumerate(prepared, start=1)
        for line in p.draft.lines
    ]
    rows = await session.execute(
        INSERT_JOURNAL, {"actor": actor, "entries": _compact(entries), "lines": _compact(lines)}
    )
    return {key: entry_id for entry_id, key in rows}


def _compact(rows: Sequence[Sequence[object]]) -> str:
    return json.dumps(rows, separators=(",", ":"))
