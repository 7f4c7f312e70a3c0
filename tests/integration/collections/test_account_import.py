"""Importing delinquent accounts from CSV: bad rows reported and left out, re-imports that
change only what changed, lenders kept apart, cases for imported accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.accounts import load_import
from core.collections.buckets import Bucket
from core.collections.delinquency import run_delinquency
from core.collections.import_rows import RowError
from core.collections.lifecycle import CaseState, CloseReason
from core.collections.models import CollectionAccount, PromiseStatus
from core.collections.promises import create_promise, evaluate_promises
from core.customers.identity import add_identity_document
from core.customers.models import DocumentType
from core.customers.service import register_customer
from core.errors import ValidationError
from core.money import Money
from tests.integration.collections.helpers import (
    ACTOR,
    CIPHER,
    FILE,
    HEADER,
    IMPORT_DAY,
    account,
    actions,
    case_of,
    counts,
    run_import,
)

TODAY = IMPORT_DAY


async def test_good_rows_are_imported_bad_rows_reported(session: AsyncSession) -> None:
    report = await run_import(session, FILE)
    assert (report.rows_total, report.created, report.updated, report.unchanged,
            report.rejected) == (5, 3, 0, 0, 2)
    assert report.errors == [
        RowError(5, "principal_outstanding", "'abc' is not an amount."),
        RowError(6, "lender_code", "This file is imported for lender ACME; the row names OTHER."),
    ]
    assert report.cases.opened == 2 and report.import_id is not None
    refs = await session.scalars(select(CollectionAccount.external_reference)
                                 .order_by(CollectionAccount.external_reference))
    assert list(refs) == ["AC-1", "AC-2", "AC-3"]
    kavita = await account(session, "ACME", "AC-1")
    assert (kavita.phone, kavita.national_id_last4, kavita.customer_id) == (
        "+18685550123", "1001", None)
    assert kavita.national_id_encrypted is not None
    assert CIPHER.decrypt(kavita.national_id_encrypted) == "19900101001"
    case = await case_of(session, account_id=kavita.id)
    assert case is not None and case.loan_id is None
    assert (case.state, case.bucket, case.days_past_due, case.arrears_amount) == (
        CaseState.NEW, Bucket.DPD_31_60, 45, Decimal("1500.00"))
    lisa = await case_of(session, account_id=(await account(session, "ACME", "AC-3")).id)
    assert lisa is not None and lisa.bucket is Bucket.DPD_90_PLUS
    assert await case_of(session, account_id=(await account(session, "ACME", "AC-2")).id) is None
    stored = await load_import(session, import_id=report.import_id)
    assert stored.errors == report.errors and stored.created == 3
    assert await actions(session, "collection_account", kavita.id) == [
        "collections.account_created"]


async def test_a_reimport_changes_only_what_changed(session: AsyncSession) -> None:
    await run_import(session, FILE)
    before = await counts(session)
    kavita = await account(session, "ACME", "AC-1")
    same = await run_import(session, FILE)
    assert (same.created, same.updated, same.unchanged, same.rejected) == (0, 0, 3, 2)
    after = await counts(session)
    assert after["collection_imports"] == before["collection_imports"] + 1
    assert after["audit_events"] == before["audit_events"] + 1  # the import itself
    assert {t: n for t, n in after.items() if t not in ("collection_imports", "audit_events")} \
        == {t: n for t, n in before.items() if t not in ("collection_imports", "audit_events")}
    assert (await account(session, "ACME", "AC-1")).import_id == kavita.import_id

    week_later = TODAY + dt.timedelta(days=7)
    changed = FILE.replace("1500.00,45", "1500.00,52").replace("800.00,200.00,100",
                                                               "800.00,0.00,0")
    report = await run_import(session, changed, today=week_later)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)  # only AC-3
    assert report.cases.closed == 1
    lisa = await account(session, "ACME", "AC-3")
    closed = await case_of(session, account_id=lisa.id, open_only=False)
    assert closed is not None
    assert (closed.state, closed.close_reason) == (CaseState.CLOSED, CloseReason.CURED)
    assert await actions(session, "collection_account", lisa.id) == [
        "collections.account_created", "collections.account_updated"]
    kavita = await account(session, "ACME", "AC-1")
    assert (kavita.days_past_due, kavita.dpd_as_of) == (45, TODAY)  # 52 on the 8th is the same


async def test_lenders_are_kept_apart(session: AsyncSession) -> None:
    other = HEADER + "BETA,AC-1,Someone Else,999.00,99.00,9,,,,\n"
    await run_import(session, other, lender="beta")
    await run_import(session, FILE)
    await run_import(session, FILE.replace("12500.00,1500.00", "13000.00,1600.00"))
    beta = await account(session, "BETA", "AC-1")
    acme = await account(session, "ACME", "AC-1")
    assert (beta.customer_name, beta.principal_outstanding, beta.arrears_amount) == (
        "Someone Else", Decimal("999.00"), Decimal("99.00"))
    assert (acme.principal_outstanding, acme.arrears_amount) == (Decimal("13000.00"),
                                                                 Decimal("1600.00"))
    assert await actions(session, "collection_account", beta.id) == [
        "collections.account_created"]


async def test_the_national_id_links_our_customer(session: AsyncSession) -> None:
    """Imported before Kavita is our customer, the account is unlinked; re-imported once she
    is, it links to her and so does its case."""
    await run_import(session, FILE)
    kavita = await account(session, "ACME", "AC-1")
    assert kavita.customer_id is None
    customer = await register_customer(session, first_name="Kavita", last_name="Singh",
                                       date_of_birth=dt.date(1990, 1, 1), today=TODAY,
                                       actor=ACTOR)
    await add_identity_document(session, cipher=CIPHER, customer_id=customer.id,
                                document_type=DocumentType.NATIONAL_ID, number="19900101001",
                                today=TODAY, actor=ACTOR)
    report = await run_import(session, FILE)
    assert (report.updated, report.unchanged) == (1, 2)
    kavita = await account(session, "ACME", "AC-1")
    assert kavita.customer_id == customer.id
    case = await case_of(session, account_id=kavita.id)
    assert case is not None and case.customer_id == customer.id


async def test_dry_runs_and_unreadable_files_write_nothing(session: AsyncSession) -> None:
    before = await counts(session)
    dry = await run_import(session, FILE, dry_run=True)
    assert (dry.import_id, dry.created, dry.rejected) == (None, 3, 2)
    with pytest.raises(ValidationError, match="unknown column"):
        await run_import(session, FILE.replace("last_payment_amount", "paid"))
    with pytest.raises(ValidationError, match="is not a lender code"):
        await run_import(session, FILE, lender="?")
    assert await counts(session) == before


async def test_imported_cases_age_and_promises_count_reported_payments(
    session: AsyncSession,
) -> None:
    await run_import(session, FILE)
    kavita = await account(session, "ACME", "AC-1")
    case = await case_of(session, account_id=kavita.id)
    assert case is not None
    await run_delinquency(session, as_of=TODAY + dt.timedelta(days=16), actor=ACTOR)
    aged = await case_of(session, account_id=kavita.id)
    assert aged is not None and (aged.days_past_due, aged.bucket) == (61, Bucket.DPD_61_90)
    promise = await create_promise(session, case_id=case.id, amount=Money.of("500.00"),
                                   promised_date=TODAY + dt.timedelta(days=5), today=TODAY,
                                   actor=ACTOR)
    paid = FILE.replace("19900101001,,", "19900101001,2024-06-04,500.00")
    await run_import(session, paid, today=TODAY + dt.timedelta(days=4))
    result = await evaluate_promises(session, as_of=TODAY + dt.timedelta(days=4), actor=ACTOR)
    assert result.decided == ((promise.id, PromiseStatus.KEPT),)
