"""Shared set-up for the collections scenarios: loans due at month ends, collectors, and
reading cases and audit events back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.collections.accounts import ImportReport, import_accounts
from core.collections.models import CollectionAccount, CollectionCase
from core.crypto import FieldCipher
from core.loans.models import Loan
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from tests.integration.servicing_book import open_book, open_loan

ACTOR = "staff:collections-test"
MONTH_END_START = dt.date(2023, 12, 31)
"""A loan started on 31 December falls due on 31 Jan, 29 Feb (2024), 31 Mar, 30 Apr..."""
INSTALMENT = "888.49"
"""TTD 10,000 over 12 months at 12%: the equal instalment."""
IMPORT_DAY = dt.date(2024, 6, 1)
CIPHER = FieldCipher("test-secret-key-" + "x" * 32)
"""The same secret as the test settings, so the API and the services agree."""
HEADER = ("lender_code,external_reference,customer_name,principal_outstanding,arrears_amount,"
          "days_past_due,phone,national_id,last_payment_date,last_payment_amount\n")
FILE = HEADER + (
    "ACME,AC-1,Kavita Singh,12500.00,1500.00,45,868 555 0123,19900101001,,\n"
    "ACME,AC-2,Ravi Maharaj,3000.00,0.00,0,,,2024-05-30,400.00\n"
    "ACME,AC-3,Lisa Chen,800.00,200.00,100,,,,\n"
    "ACME,AC-4,Bad Amount,abc,10.00,5,,,,\n"
    "OTHER,AC-5,Wrong Lender,100.00,10.00,5,,,,\n"
)
"""Three good rows (two in arrears) and two bad ones (lines 5 and 6)."""
COLLECTION_TABLES = (
    "collection_cases", "collection_contacts", "collection_notes", "collection_promises",
    "collection_accounts", "collection_account_payments", "collection_imports",
    "delinquency_snapshots", "delinquency_runs", "collector_capacities", "audit_events",
)


async def month_end_loans(session: AsyncSession, count: int = 1) -> list[Loan]:
    """`count` loans of TTD 10,000 over 12 months at 12%, started 31 December 2023."""
    book = await open_book(session)
    return [await open_loan(session, book, start=MONTH_END_START) for _ in range(count)]


async def collector(session: AsyncSession, name: str, *, role: Role = Role.COLLECTOR) -> StaffUser:
    email = name.lower().replace(" ", ".") + "@lendline.example"
    return await create_staff(session, email=email, name=name, role=role,
                              password="collector-password", actor=ACTOR)


async def case_of(session: AsyncSession, *, loan_id: int | None = None,
                  account_id: int | None = None, open_only: bool = True) -> CollectionCase | None:
    query = select(CollectionCase).execution_options(populate_existing=True)
    if loan_id is not None:
        query = query.where(CollectionCase.loan_id == loan_id)
    if account_id is not None:
        query = query.where(CollectionCase.account_id == account_id)
    if open_only:
        query = query.where(CollectionCase.state != "closed")
    return await session.scalar(query.order_by(CollectionCase.id.desc()).limit(1))


async def cases_of(session: AsyncSession, loan_id: int) -> list[CollectionCase]:
    rows = await session.scalars(select(CollectionCase).where(CollectionCase.loan_id == loan_id)
                                 .order_by(CollectionCase.id)
                                 .execution_options(populate_existing=True))
    return list(rows)


async def actions(session: AsyncSession, entity_type: str, entity_id: int) -> list[str]:
    rows = await session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id))
    return list(rows)


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every collections table (names are constants above, not input)."""
    return {t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
            for t in COLLECTION_TABLES}


async def run_import(session: AsyncSession, content: str, *, lender: str = "ACME",
                     today: dt.date = IMPORT_DAY, dry_run: bool = False) -> ImportReport:
    return await import_accounts(session, lender_code=lender, filename="acme-june.csv",
                                 content=content.encode(), cipher=CIPHER, today=today,
                                 actor=ACTOR, dry_run=dry_run)


async def account(session: AsyncSession, lender: str, reference: str) -> CollectionAccount:
    found = await session.scalar(select(CollectionAccount).where(
        CollectionAccount.lender_code == lender,
        CollectionAccount.external_reference == reference)
        .execution_options(populate_existing=True))
    assert found is not None
    return found
