"""Importing delinquent accounts placed by other lenders, and keeping their cases.

An imported account lives in `collection_accounts`, keyed by (lender code, the lender's
reference), apart from our loans; a case points at a loan or at an account. Its national ID
is kept encrypted with a keyed hash, and when one of our customers holds the same national
ID the account is linked to them (contact rules, preferred channel and history then apply).

Re-importing is idempotent: a row equal to what is on file changes nothing; a changed row
updates only its changed fields, audited with their old and new values. Days past due are
compared as they stand today (a file re-sent a week later with days counted a week on is
unchanged). Only the lender's own accounts are read or written: another lender's account
with the same reference is a different account. Accounts missing from a later file are left
as they are (a partial file never closes anything).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.case_sync import (
    ACCOUNT_SCOPE,
    CaseChanges,
    prepare_debts,
    rescore,
    sync_cases,
)
from core.collections.delinquency import ACCOUNT_DEBTS
from core.collections.import_rows import AccountRow, RowError, normalise_lender, parse_accounts
from core.collections.models import AccountPayment, CollectionAccount, CollectionImport
from core.crypto import FieldCipher
from core.customers.models import DEFAULT_TIME_ZONE, DocumentType, IdentityDocument
from core.errors import NotFoundError

IMPORT_LOCK: Final = 0x4C4E494D
"""Advisory lock key ("LNIM"), with the lender's hash: one import per lender at a time."""
_CHUNK: Final = 5000
_COMPARED: Final = ("customer_name", "phone", "national_id_hash", "customer_id", "currency",
                    "principal_outstanding", "arrears_amount", "last_payment_date",
                    "last_payment_amount", "product")


@dataclass(frozen=True, slots=True)
class ImportReport:
    import_id: int | None
    """None for a dry run, which writes nothing."""
    lender_code: str
    filename: str
    rows_total: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowError]
    cases: CaseChanges = field(default_factory=CaseChanges)


def _effective_dpd(arrears: Decimal, days: int, as_of: dt.date, today: dt.date) -> int:
    return max(days + (today - as_of).days, 0) if arrears > 0 else 0


async def _existing(session: AsyncSession, lender: str,
                    references: Sequence[str]) -> dict[str, CollectionAccount]:
    found: dict[str, CollectionAccount] = {}
    for start in range(0, len(references), _CHUNK):
        rows = await session.scalars(select(CollectionAccount).where(
            CollectionAccount.lender_code == lender,
            CollectionAccount.external_reference.in_(references[start:start + _CHUNK]))
            .with_for_update())
        found.update({a.external_reference: a for a in rows})
    return found


async def _owners(session: AsyncSession, hashes: set[str]) -> dict[str, int]:
    ordered = sorted(hashes)
    owners: dict[str, int] = {}
    for start in range(0, len(ordered), _CHUNK):
        rows = await session.execute(select(IdentityDocument.number_hash,
                                            IdentityDocument.customer_id).where(
            IdentityDocument.document_type == DocumentType.NATIONAL_ID,
            IdentityDocument.number_hash.in_(ordered[start:start + _CHUNK])))
        owners.update({h: c for h, c in rows})
    return owners


def _values(row: AccountRow, id_hash: str | None, owner: int | None) -> dict[str, Any]:
    paid = row.last_payment_amount
    return {
        "customer_name": row.customer_name, "phone": row.phone, "national_id_hash": id_hash,
        "customer_id": owner, "currency": row.currency,
        "principal_outstanding": row.principal_outstanding.amount,
        "arrears_amount": row.arrears_amount.amount, "last_payment_date": row.last_payment_date,
        "last_payment_amount": paid.amount if paid is not None else None,
        "product": row.product,
    }


def _changes(account: CollectionAccount, row: AccountRow, values: dict[str, Any],
             today: dt.date) -> dict[str, Any]:
    changes = {k: v for k, v in values.items() if getattr(account, k) != v}
    reported = _effective_dpd(row.arrears_amount.amount, row.days_past_due, row.reported_on,
                              today)
    held = _effective_dpd(account.arrears_amount, account.days_past_due, account.dpd_as_of,
                          today)
    if reported != held:
        changes.update(days_past_due=row.days_past_due, dpd_as_of=row.reported_on)
    return changes


def _identity(row: AccountRow, cipher: FieldCipher) -> dict[str, Any]:
    if row.national_id is None:
        return {"national_id_encrypted": None, "national_id_last4": None}
    return {"national_id_encrypted": cipher.encrypt(row.national_id),
            "national_id_last4": row.national_id[-4:]}


async def refresh_account_cases(
    session: AsyncSession, *, lender_code: str, as_of: dt.date, actor: str,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> CaseChanges:
    """Open, move, close and rescore the cases of one lender's imported accounts, as the
    daily run does for every debt."""
    await prepare_debts(session)
    await session.execute(text(ACCOUNT_DEBTS.format(scope="WHERE a.lender_code = :lender")),
                          {"as_of": as_of, "lender": lender_code})
    changes = await sync_cases(session, as_of=as_of, actor=actor, loans=False, accounts=True)
    rescored = await rescore(session, as_of=as_of, time_zone=time_zone, scope=ACCOUNT_SCOPE)
    return changes + CaseChanges(rescored=rescored)


async def import_accounts(
    session: AsyncSession, *, lender_code: str, filename: str, content: bytes,
    cipher: FieldCipher, today: dt.date, actor: str, dry_run: bool = False,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> ImportReport:
    """Import a CSV of delinquent accounts for one lender (columns in
    `core.collections.import_rows.COLUMNS`) and report line by line.

    Good rows are created or updated (see the module docstring) and cases are opened, moved
    or closed for the lender's accounts; bad rows change nothing and are reported as (line,
    column, message). The report is kept (`collection_imports`). `dry_run` checks and counts
    without writing anything. A file that cannot be read at all raises `ValidationError`
    and changes nothing. Audited: `collections.account_created|updated` per account and
    `collections.accounts_imported` for the file.
    """
    lender = normalise_lender(lender_code)
    name = " ".join(filename.split())[:200] or "accounts.csv"
    parsed = parse_accounts(content, lender_code=lender, today=today)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:lender))"),
                          {"key": IMPORT_LOCK, "lender": lender})
    existing = await _existing(session, lender, [r.external_reference for r in parsed.rows])
    hashes = {r.national_id: cipher.lookup_hash(r.national_id)
              for r in parsed.rows if r.national_id is not None}
    owners = await _owners(session, set(hashes.values()))
    new: list[tuple[AccountRow, dict[str, Any]]] = []
    changed: list[tuple[AccountRow, CollectionAccount, dict[str, Any]]] = []
    for row in parsed.rows:
        id_hash = hashes.get(row.national_id) if row.national_id is not None else None
        values = _values(row, id_hash, owners.get(id_hash) if id_hash is not None else None)
        account = existing.get(row.external_reference)
        if account is None:
            new.append((row, values))
        elif changes := _changes(account, row, values, today):
            changed.append((row, account, changes))
    unchanged = len(parsed.rows) - len(new) - len(changed)
    report = ImportReport(
        import_id=None, lender_code=lender, filename=name, rows_total=parsed.total,
        created=len(new), updated=len(changed), unchanged=unchanged,
        rejected=parsed.total - len(parsed.rows), errors=parsed.errors)
    if dry_run:
        return report
    batch = CollectionImport(
        lender_code=lender, filename=name, actor=actor, rows_total=report.rows_total,
        created=report.created, updated=report.updated, unchanged=unchanged,
        rejected=report.rejected,
        errors=[{"line": e.line, "column": e.column, "message": e.message}
                for e in parsed.errors])
    session.add(batch)
    await session.flush()
    await _write(session, lender, batch.id, new, changed, cipher, actor)
    cases = await refresh_account_cases(session, lender_code=lender, as_of=today, actor=actor,
                                        time_zone=time_zone)
    await trail.record(session, actor=actor, action="collections.accounts_imported",
                       entity_type="collection_import", entity_id=batch.id,
                       after={"lender_code": lender, "filename": name,
                              "rows_total": report.rows_total, "created": report.created,
                              "updated": report.updated, "unchanged": unchanged,
                              "rejected": report.rejected, "cases_opened": cases.opened,
                              "cases_closed": cases.closed})
    return ImportReport(
        import_id=batch.id, lender_code=lender, filename=name, rows_total=report.rows_total,
        created=report.created, updated=report.updated, unchanged=unchanged,
        rejected=report.rejected, errors=parsed.errors, cases=cases)


async def _write(
    session: AsyncSession, lender: str, import_id: int,
    new: list[tuple[AccountRow, dict[str, Any]]],
    changed: list[tuple[AccountRow, CollectionAccount, dict[str, Any]]],
    cipher: FieldCipher, actor: str,
) -> None:
    audit: list[dict[str, Any]] = []
    if new:
        created = await session.execute(insert(CollectionAccount).returning(
            CollectionAccount.id, CollectionAccount.external_reference), [
            {**values, **_identity(row, cipher), "lender_code": lender,
             "external_reference": row.external_reference, "days_past_due": row.days_past_due,
             "dpd_as_of": row.reported_on, "import_id": import_id}
            for row, values in new])
        ids = {ref: i for i, ref in created}
        audit += [{"entity_id": ids[row.external_reference],
                   "action": "collections.account_created", "before": None,
                   "after": {"lender_code": lender, "external_reference": row.external_reference,
                             **{k: v for k, v in values.items() if k != "national_id_hash"}}}
                  for row, values in new]
    else:
        ids = {}
    if changed:
        await session.execute(update(CollectionAccount), [
            {"id": account.id, **changes, "import_id": import_id,
             **(_identity(row, cipher) if "national_id_hash" in changes else {})}
            for row, account, changes in changed])
        audit += [{"entity_id": account.id, "action": "collections.account_updated",
                   "before": {k: getattr(account, k) for k in changes if k != "national_id_hash"},
                   "after": {k: v for k, v in changes.items() if k != "national_id_hash"}}
                  for _, account, changes in changed]
        ids.update({row.external_reference: account.id for row, account, _ in changed})
    payments = [{"account_id": ids[row.external_reference], "paid_on": row.last_payment_date,
                 "amount": row.last_payment_amount.amount, "import_id": import_id}
                for row, _ in new if row.last_payment_date and row.last_payment_amount]
    payments += [{"account_id": account.id, "paid_on": row.last_payment_date,
                  "amount": row.last_payment_amount.amount, "import_id": import_id}
                 for row, account, _ in changed
                 if row.last_payment_date and row.last_payment_amount]
    if payments:
        statement = upsert(AccountPayment)
        await session.execute(statement.on_conflict_do_update(
            index_elements=["account_id", "paid_on"],
            set_={"amount": statement.excluded.amount, "import_id": statement.excluded.import_id},
            where=AccountPayment.amount != statement.excluded.amount), payments)
    await trail.record_many(
        session, [{"entity_type": "collection_account", **event} for event in audit], actor=actor)


async def load_import(session: AsyncSession, *, import_id: int) -> ImportReport:
    """The report of an earlier import; `NotFoundError` when there is none."""
    batch = await session.get(CollectionImport, import_id)
    if batch is None:
        raise NotFoundError(f"There is no account import {import_id}.")
    return ImportReport(
        import_id=batch.id, lender_code=batch.lender_code, filename=batch.filename,
        rows_total=batch.rows_total, created=batch.created, updated=batch.updated,
        unchanged=batch.unchanged, rejected=batch.rejected,
        errors=[RowError(e["line"], e["column"], e["message"]) for e in batch.errors])
