"""Post journal entries: one at a time, as a reversal, or in batches for month-end runs.

Every path validates in code before writing (so a bad entry raises a readable domain error
and writes nothing) and the database checks again (migration 0004). Postings are idempotent
by `posting_key`: the same key with the same payload returns the entry already posted; the
same key with a different payload raises `IdempotencyConflict`. The payload is the effective
date, description, source and lines (line order does not matter), not the actor.
All functions flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.audit import trail
from core.errors import (
    ClosedPeriod,
    ConflictError,
    DomainError,
    IdempotencyConflict,
    NotFoundError,
    ValidationError,
)
from core.ledger import periods, repository
from core.ledger.drafts import EntryDraft, Prepared, prepare
from core.ledger.lines import Line
from core.ledger.models import JournalEntry
from core.money import Money

__all__ = [
    "BatchResult",
    "EntryDraft",
    "entry_lines",
    "get_entry",
    "post_entries_batch",
    "post_entry",
    "reverse_entry",
]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch did. `entry_ids[i]` is the entry for the i-th draft, new or replayed."""

    entry_ids: tuple[int, ...]
    created: int
    replayed: int


async def _replayed(session: AsyncSession, p: Prepared) -> JournalEntry | None:
    found = (await repository.existing_keys(session, [p.key])).get(p.key)
    if found is None:
        return None
    return await get_entry(session, entry_id=p.same_or_conflict(*found))


async def _post_prepared(session: AsyncSession, p: Prepared, *, actor: str) -> JournalEntry:
    replay = await _replayed(session, p)
    if replay is not None:
        return replay
    accounts = await repository.account_ids(session, [p])
    await periods.ensure_open(session, on=p.draft.effective_date)
    inserted = await repository.insert_journal(session, [p], actor=actor, accounts=accounts)
    if not inserted:  # lost a race: a concurrent transaction used the key or the reversal
        replay = await _replayed(session, p)
        if replay is not None:
            return replay
        assert p.reverses_entry_id is not None  # the only other unique column
        raise _reversed_twice(p.reverses_entry_id, await _reversal_id(session, p.reverses_entry_id))
    entry_id = inserted[p.key]
    action = "ledger.entry_reversed" if p.reverses_entry_id else "ledger.entry_posted"
    await trail.record(
        session,
        actor=actor,
        action=action,
        entity_type="journal_entry",
        entity_id=entry_id,
        after=p.summary(),
    )
    return await get_entry(session, entry_id=entry_id)


async def post_entry(
    session: AsyncSession,
    *,
    posting_key: str,
    effective_date: dt.date,
    lines: Sequence[Line],
    description: str,
    source_type: str | None = None,
    source_id: int | None = None,
    actor: str,
) -> JournalEntry:
    """Post one balanced entry and return it with its lines (idempotent by `posting_key`).

    Raises `UnbalancedEntry` (fewer than two lines, debits ≠ credits), `ClosedPeriod`
    (`effective_date` inside a closed period), `ValidationError` (mixed currencies, unknown,
    inactive or group account, bad key or description) and `IdempotencyConflict`. Audited as
    `ledger.entry_posted`.
    """
    draft = EntryDraft(
        posting_key, effective_date, tuple(lines), description, source_type, source_id
    )
    return await _post_prepared(session, prepare(draft), actor=actor)


async def get_entry(session: AsyncSession, *, entry_id: int) -> JournalEntry:
    """One entry with its lines (each line's `account` loaded); `NotFoundError` if none."""
    entry = await session.get(JournalEntry, entry_id, options=[joinedload(JournalEntry.lines)])
    if entry is None:
        raise NotFoundError(f"There is no journal entry {entry_id}.")
    return entry


def entry_lines(entry: JournalEntry) -> list[Line]:
    """A posted entry's lines as `Line` values, in posting order."""
    return [
        Line(
            line.account.code,
            debit=Money.of(line.debit, entry.currency) if line.debit > 0 else None,
            credit=Money.of(line.credit, entry.currency) if line.credit > 0 else None,
            loan_id=line.loan_id,
        )
        for line in entry.lines
    ]


async def reverse_entry(
    session: AsyncSession,
    *,
    entry_id: int,
    posting_key: str,
    effective_date: dt.date,
    reason: str,
    actor: str,
) -> JournalEntry:
    """Post the mirror image of an entry (every debit a credit and back), linked to it.

    An entry is reversed at most once: a second reversal raises `ConflictError` (a retry
    with the same key and payload returns the first). The reversal keeps the original's
    source and loan tags, may not be dated before the original, and must fall in an open
    period. `NotFoundError` for an unknown entry. Audited as `ledger.entry_reversed`.
    """
    original = await get_entry(session, entry_id=entry_id)
    if not reason.strip():
        raise ValidationError("A reversal needs a reason.")
    draft = EntryDraft(
        posting_key,
        effective_date,
        tuple(line.mirrored() for line in entry_lines(original)),
        f"Reversal of entry {entry_id}: {reason.strip()}",
        original.source_type,
        original.source_id,
    )
    prepared = prepare(draft, reverses_entry_id=entry_id)
    replay = await _replayed(session, prepared)
    if replay is not None:
        return replay
    if effective_date < original.effective_date:
        raise ValidationError(
            f"A reversal cannot be dated {effective_date}, before the entry it reverses "
            f"({original.effective_date})."
        )
    reversal = await _reversal_id(session, entry_id)
    if reversal is not None:
        raise _reversed_twice(entry_id, reversal)
    return await _post_prepared(session, prepared, actor=actor)


async def _reversal_id(session: AsyncSession, entry_id: int) -> int | None:
    return await session.scalar(
        select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
    )


def _reversed_twice(entry_id: int, reversal_id: int | None) -> ConflictError:
    return ConflictError(f"Entry {entry_id} was already reversed by entry {reversal_id}.")


def _prepare_all(drafts: Sequence[EntryDraft]) -> list[Prepared]:
    prepared = []
    for draft in drafts:
        try:
            prepared.append(prepare(draft))
        except DomainError as error:
            raise type(error)(f"Entry {draft.posting_key!r}: {error.message}") from error
    return prepared


async def post_entries_batch(
    session: AsyncSession, *, entries: Sequence[EntryDraft], actor: str
) -> BatchResult:
    """Post many entries with a handful of statements (month-end accruals, provisioning).

    All or nothing: every draft is checked before anything is written, and the first bad
    one raises the same errors as `post_entry`, prefixed with its posting key. Idempotent
    per entry: drafts whose key was already posted with the same payload are skipped and
    their existing ids returned (a key repeated inside the batch likewise); a key reused
    with a different payload raises `IdempotencyConflict` for the whole batch.

    Audit: ONE event per batch (`ledger.batch_posted`, entity `journal_batch`, id = the first
    new entry's id) listing the new entry ids, not one per entry: at month-end volumes a
    per-entry event would double the rows written, and each entry already records its
    `posted_by`, `posted_at` and posting key.
    """
    prepared = _prepare_all(entries)
    unique: dict[str, Prepared] = {}
    for p in prepared:
        if unique.setdefault(p.key, p).hash != p.hash:
            raise IdempotencyConflict(
                f"The posting key {p.key!r} appears twice in the batch for different entries."
            )
    ids = {
        key: unique[key].same_or_conflict(*found)
        for key, found in (await repository.existing_keys(session, unique)).items()
    }
    new = [p for key, p in unique.items() if key not in ids]
    created = await _insert_batch(session, new, actor=actor) if new else {}
    ids.update(created)
    missing = unique.keys() - ids.keys()  # posted meanwhile by a concurrent transaction
    if missing:
        for key, found in (await repository.existing_keys(session, missing)).items():
            ids[key] = unique[key].same_or_conflict(*found)
    entry_ids = tuple(ids[p.key] for p in prepared)
    return BatchResult(entry_ids, len(created), len(entry_ids) - len(created))


async def _insert_batch(
    session: AsyncSession, new: Sequence[Prepared], *, actor: str
) -> dict[str, int]:
    accounts = await repository.account_ids(session, new)
    dates = [p.draft.effective_date for p in new]
    closed = await periods.closed_periods_between(session, start=min(dates), end=max(dates))
    for p in new:
        try:
            periods.refuse_if_closed(closed, p.draft.effective_date)
        except ClosedPeriod as error:
            raise ClosedPeriod(f"Entry {p.key!r}: {error.message}") from error
    created = await repository.insert_journal(session, new, actor=actor, accounts=accounts)
    if created:
        new_ids = sorted(created.values())
        await trail.record(
            session,
            actor=actor,
            action="ledger.batch_posted",
            entity_type="journal_batch",
            entity_id=new_ids[0],
            after={"count": len(new_ids), "entry_ids": new_ids},
        )
    return created
