"""Shared set-up for the tool tests: the demo lender, a borrower, their loans, a turn's
context, calling a tool the way the agent does, and snapshots that show a refusal wrote
nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.tools import BaseTool
from langgraph.prebuilt import ToolRuntime
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.crypto import FieldCipher
from core.customers.consents import grant_consent
from core.customers.employment import set_employment
from core.customers.identity import add_identity_document, verify_identity_document
from core.customers.models import (
    ConsentType,
    ContactChannel,
    Customer,
    DocumentType,
    EmploymentStatus,
)
from core.customers.service import register_customer
from core.ledger.chart import ensure_chart
from core.loans.models import Loan
from core.money import Money
from core.otp.service import derive_key
from core.payments.sandbox_provider import SandboxProvider
from core.products.catalogue import install_catalogue
from core.products.service import get_product
from core.scoring.install import install_decisioning
from tests.integration.servicing_book import Book, open_loan
from tools.context import ToolContext

TT = ZoneInfo("America/Port_of_Spain")
SECRET = "tools-tests-secret-key"
CIPHER = FieldCipher(SECRET)
OTP_KEY = derive_key(SECRET)
ACTOR = "staff:tools-test"
CONVERSATION = 4242
AGENT = f"agent:conversation-{CONVERSATION}"
APPROVED_ID = "TT00000024"
"""A national ID the sandbox bureau gives a clean file: score 824, TTD 351 a month owed."""
JUDGMENT_ID = "TT00000012"
"""A national ID with a court judgment on its sandbox bureau file."""
LOAN_START = dt.date(2023, 12, 31)
"""Loans of TTD 10,000 over 12 months at 12% from here fall due at month ends: 888.49 each."""
TABLES = (
    "customers", "contact_points", "identity_documents", "employments", "consents",
    "one_time_codes", "applications", "credit_decisions", "loans", "loan_instalments",
    "loan_transactions", "servicing_runs", "journal_entries", "payment_intents",
    "collection_cases", "collection_contacts", "collection_notes", "collection_promises",
    "contact_holds", "audit_events",
)
_phones = itertools.count(110)


async def lender(session: AsyncSession, now: dt.datetime) -> None:
    """The demo catalogue, decisioning and chart of accounts."""
    await install_catalogue(session)
    await install_decisioning(session, now=now)
    await ensure_chart(session, actor=ACTOR)


async def borrower(
    session: AsyncSession, *, today: dt.date, national_id: str = APPROVED_ID,
    first_name: str = "Asha", phone: str | None = None, employed: bool = True,
    consents: bool = True, email: str | None = None,
) -> Customer:
    """A customer born 1 May 1990 with a WhatsApp and SMS number, a verified national ID and,
    by default, a job at the Ministry of Education since 2019 (TTD 10,000 net) and consent
    to a credit check and the terms."""
    number = phone or f"+1868555{next(_phones):04d}"
    customer = await register_customer(
        session, first_name=first_name, last_name="Ramdial", date_of_birth=dt.date(1990, 5, 1),
        today=today, actor=ACTOR, email=email,
        contacts=[(ContactChannel.WHATSAPP, number), (ContactChannel.SMS, number)])
    document = await add_identity_document(
        session, cipher=CIPHER, customer_id=customer.id, document_type=DocumentType.NATIONAL_ID,
        number=national_id, today=today, actor=ACTOR)
    await verify_identity_document(session, customer_id=customer.id, document_id=document.id,
                                   now=dt.datetime.combine(today, dt.time(9), TT), actor=ACTOR)
    if employed:
        await set_employment(
            session, customer_id=customer.id, status=EmploymentStatus.EMPLOYED,
            gross_monthly_income=Money.of(12000), net_monthly_income=Money.of(10000),
            monthly_expenses=Money.of(3500), today=today, actor=ACTOR,
            employer="Ministry of Education", occupation="Teacher",
            start_date=dt.date(2019, 1, 1))
    if consents:
        for kind in (ConsentType.CREDIT_CHECK, ConsentType.TERMS):
            await grant_consent(session, customer_id=customer.id, consent_type=kind,
                                now=dt.datetime.combine(today, dt.time(9), TT), source="test",
                                actor=ACTOR)
    return customer


async def loan_for(session: AsyncSession, customer: Customer, **options: Any) -> Loan:
    """A PERSONAL loan of TTD 10,000 at 12% over 12 months from `LOAN_START` (by default)."""
    product = await get_product(session, code="PERSONAL")
    options.setdefault("start", LOAN_START)
    return await open_loan(session, Book(customer.id, product.id), **options)


def context(
    session: AsyncSession, *, now: dt.datetime, customer: Customer | None = None,
    claimed: Customer | None = None, channel: str = "whatsapp", payments: bool = True,
) -> ToolContext:
    """The turn's context: verified as `customer`, or only claiming to be `claimed`."""
    return ToolContext(
        session=session, conversation_id=CONVERSATION, channel=channel, now=now,
        today=now.date(), cipher=CIPHER, otp_key=OTP_KEY,
        customer_id=customer.id if customer else None,
        claimed_customer_id=claimed.id if claimed else (customer.id if customer else None),
        payments=SandboxProvider(base_url="https://lendline.example", app_secret=SECRET,
                                 now=lambda: now) if payments else None,
        payment_return_url="https://lendline.example/pay/{reference}",
    )


async def call(tool: BaseTool, ctx: ToolContext, **arguments: Any) -> dict[str, Any]:
    """Invoke `tool` as the agent does; the result must survive JSON."""
    runtime = ToolRuntime(state={}, context=ctx, config={}, stream_writer=lambda _: None,
                          tool_call_id="call-1", store=None)
    result = await tool.ainvoke({**arguments, "runtime": runtime})
    assert isinstance(result, dict)
    decoded: dict[str, Any] = json.loads(json.dumps(result))
    assert decoded == result, "results carry only JSON types"
    return decoded


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    """Row counts of every table a tool may write, and the loans' cached balances."""
    counts = {t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
              for t in TABLES}
    loans = (await session.execute(text(
        "SELECT id, principal_outstanding, interest_receivable, accrued_through, "
        "days_past_due FROM loans ORDER BY id"))).all()
    return {"counts": counts, "loans": [tuple(row) for row in loans]}


async def audit_actions(session: AsyncSession, *, actor: str = AGENT) -> list[str]:
    """The actions this conversation wrote to the audit trail, in order."""
    rows = await session.scalars(select(AuditEvent.action).where(AuditEvent.actor == actor)
                                 .order_by(AuditEvent.id))
    return list(rows)


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def d(value: str) -> Decimal:
    return Decimal(value)
