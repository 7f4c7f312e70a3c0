"""Builders for decisioning tests: the demo lender's catalogue and decisioning, applicants
with employment, identity and consents, and a credit bureau whose answers a test chooses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.models import Application, ApplicationChannel
from core.applications.service import create_application, submit_application
from core.crypto import FieldCipher
from core.customers.consents import grant_consent
from core.customers.employment import set_employment
from core.customers.identity import add_identity_document, verify_identity_document
from core.customers.models import ConsentType, DocumentType, EmploymentStatus
from core.customers.service import register_customer
from core.money import Money
from core.products.catalogue import install_catalogue
from core.scoring.bureau import BureauReport
from core.scoring.install import install_decisioning

TT = ZoneInfo("America/Port_of_Spain")
NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=TT)
ACTOR = "staff:test"
CIPHER = FieldCipher("decisioning-tests-secret-key")
_numbers = itertools.count(1)

CLEAN = BureauReport(reference="FIX-1", score=700, open_accounts=2, delinquencies=0,
                     judgments=0, public_records=0, enquiries=1,
                     monthly_payments=Decimal("1000"))
"""A clean bureau file: score 700, TTD 1,000 a month already owed."""

DECISION_TABLES = ("credit_decisions", "applications", "audit_events", "scorecards", "rule_sets",
                   "scoring_routing", "bank_statement_analyses")


class FixedBureau:
    """Answers every national ID with one report (None: no file)."""

    name = "fixed"

    def __init__(self, report: BureauReport | None = CLEAN, **changes: object) -> None:
        self.fixed = None if report is None else dataclasses.replace(report, **changes)  # type: ignore[arg-type]
        self.calls = 0

    async def report(self, *, national_id_hash: str, as_of: dt.date) -> BureauReport | None:
        self.calls += 1
        return self.fixed


async def demo_lender(session: AsyncSession) -> None:
    await install_catalogue(session)
    await install_decisioning(session, now=NOW)


async def counts(
    session: AsyncSession, tables: tuple[str, ...] = DECISION_TABLES
) -> dict[str, int]:
    return {t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in tables}


async def applicant(
    session: AsyncSession, *, born: dt.date = dt.date(1990, 5, 1),
    status: EmploymentStatus = EmploymentStatus.EMPLOYED, gross: str = "12000",
    net: str = "10000", expenses: str = "3500", occupation: str | None = "Teacher",
    start: dt.date | None = dt.date(2019, 1, 1), verified: bool = True, product: str = "PERSONAL",
    amount: str = "20000", term: int = 24, submit: bool = True, national_id: bool = True,
    now: dt.datetime = NOW,
) -> Application:
    """A customer with employment, a national ID and consents, and their application
    (submitted unless `submit` is False). Defaults: 35 years old on NOW, a teacher since
    January 2019 earning TTD 10,000 net, asking TTD 20,000 over 24 months (PERSONAL)."""
    n = next(_numbers)
    customer = await register_customer(session, first_name="Test", last_name=f"Applicant{n}",
                                       date_of_birth=born, today=now.date(), actor=ACTOR)
    if national_id:
        document = await add_identity_document(
            session, cipher=CIPHER, customer_id=customer.id,
            document_type=DocumentType.NATIONAL_ID, number=f"ID{n:08d}", today=now.date(),
            actor=ACTOR)
        if verified:
            await verify_identity_document(session, customer_id=customer.id,
                                           document_id=document.id, now=now, actor=ACTOR)
    await set_employment(
        session, customer_id=customer.id, status=status, gross_monthly_income=Money.of(gross),
        net_monthly_income=Money.of(net), monthly_expenses=Money.of(expenses),
        today=now.date(), actor=ACTOR, occupation=occupation, start_date=start,
        employer=None if status not in (EmploymentStatus.EMPLOYED, EmploymentStatus.CONTRACT)
        else "Ministry of Education")
    for kind in (ConsentType.CREDIT_CHECK, ConsentType.TERMS):
        await grant_consent(session, customer_id=customer.id, consent_type=kind, now=now,
                            source="test", actor=ACTOR)
    application = await create_application(
        session, customer_id=customer.id, product_code=product, amount=Money.of(amount),
        term=term, channel=ApplicationChannel.WHATSAPP, now=now, actor=ACTOR)
    if submit:
        await submit_application(session, application_id=application.id, actor=ACTOR, now=now)
    return application


_LOAN = text("""
INSERT INTO loans (customer_id, product_id, application_id, currency, status, terms, principal,
    amount_financed, deducted_fee, financed_fee, annual_rate, term, frequency, method,
    disbursed_on, maturity_date, schedule_version, overpayment, late_fee, late_fee_grace_days,
    early_settlement_fee_percent, principal_outstanding, interest_receivable, accrued_through,
    fees_outstanding, penalties_outstanding, credit_balance, days_past_due, arrears_amount,
    written_off_amount, recovered_amount)
VALUES (:customer, :product, :application, 'TTD', :status, '{}', :principal, :principal, 0, 0,
    0.145, 24, 'monthly', 'declining_equal_instalment', :start, :start + 730, 1, 'prepay', 100,
    5, 0, :principal, 0, :start, 0, 0, 0, :dpd, 0, 0, 0)
RETURNING id
""")
_INSTALMENT = text("""
INSERT INTO loan_instalments (loan_id, version, number, period_start, due_date, principal_due,
    interest_due, fee_due, penalty_due, principal_paid, interest_paid, fee_paid, penalty_paid,
    interest_accrued, interest_carried, status, paid_on, late_fee_charged)
VALUES (:loan, 1, 1, :start, :due, 800, 200, 0, 0, :paid, :paid_interest, 0, 0, 200, 0,
    :status, :paid_on, false)
""")


async def book_loan(
    session: AsyncSession, application: Application, *, status: str = "active",
    days_late: int | None = 0, days_past_due: int = 0,
) -> int:
    """A loan for an application, disbursed on 2 July 2025 with one instalment due 2 August:
    paid `days_late` days after it (None: still unpaid)."""
    start = dt.date(2025, 7, 2)
    due = dt.date(2025, 8, 2)
    loan_id = int(await session.scalar(_LOAN, {
        "customer": application.customer_id, "product": application.product_id,
        "application": application.id, "status": status,
        "principal": application.requested_amount, "start": start, "dpd": days_past_due}) or 0)
    paid = days_late is not None
    await session.execute(_INSTALMENT, {
        "loan": loan_id, "start": start, "due": due, "paid": 800 if paid else 0,
        "paid_interest": 200 if paid else 0, "status": "paid" if paid else "due",
        "paid_on": due + dt.timedelta(days=days_late) if days_late is not None else None})
    return loan_id
