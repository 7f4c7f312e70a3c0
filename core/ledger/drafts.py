"""Entries before they are posted: validated, hashed, and turned into table rows. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.errors import IdempotencyConflict, ValidationError
from core.ledger.lines import Line, check_balanced, payload_hash

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry to post with `post_entries_batch` (the same fields `post_entry` takes)."""

    posting_key: str
    effective_date: dt.date
    lines: Sequence[Line]
    description: str
    source_type: str | None = None
    source_id: int | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A draft that passed every check made without the database."""

    draft: EntryDraft
    key: str
    description: str
    currency: str
    total: Decimal
    hash: str
    reverses_entry_id: int | None
    codes: frozenset[str]

    def same_or_conflict(self, entry_id: int, stored_hash: str) -> int:
        """`entry_id` when the stored entry has this payload; else `IdempotencyConflict`."""
        if stored_hash != self.hash:
            raise IdempotencyConflict(
                f"The posting key {self.key!r} was already used for a different entry "
                f"(entry {entry_id}); use a new key for a new entry."
            )
        return entry_id

    def summary(self) -> dict[str, Any]:
        """What the audit trail records about the entry."""
        draft = self.draft
        return {
            "posting_key": self.key,
            "effective_date": draft.effective_date,
            "total": self.total,
            "currency": self.currency,
            "source_type": draft.source_type,
            "source_id": draft.source_id,
            "reverses_entry_id": self.reverses_entry_id,
            "lines": [
                [line.account, "dr" if line.is_debit else "cr", line.amount.amount, line.loan_id]
                for line in draft.lines
            ],
        }


def prepare(draft: EntryDraft, *, reverses_entry_id: int | None = None) -> Prepared:
    """Check a draft without the database: `UnbalancedEntry` or `ValidationError` if bad."""
    key, description = draft.posting_key.strip(), draft.description.strip()
    if not key or len(key) > 200:
        raise ValidationError("A posting key is required, at most 200 characters.")
    if not description or len(description) > 500:
        raise ValidationError("An entry needs a description of at most 500 characters.")
    if draft.source_id is not None and not draft.source_type:
        raise ValidationError("An entry with a source id needs a source type too.")
    if draft.source_type is not None and not 0 < len(draft.source_type) <= 40:
        raise ValidationError("A source type has 1 to 40 characters.")
    total = check_balanced(draft.lines)
    digest = payload_hash(
        effective_date=draft.effective_date,
        lines=draft.lines,
        description=description,
        source_type=draft.source_type,
        source_id=draft.source_id,
        reverses_entry_id=reverses_entry_id,
    )
    return Prepared(
        draft=draft,
        key=key,
        description=description,
        currency=total.currency,
        total=total.amount,
        hash=digest,
        reverses_entry_id=reverses_entry_id,
        codes=frozenset(line.account for line in draft.lines),
    )
