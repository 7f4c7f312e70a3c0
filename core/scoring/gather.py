"""Gather the facts about applications from the database and the credit bureau.

Works on many applications at once with one query per kind of record (applications,
customers, employment, identity documents, other applications, active loans, statement
analyses, products), so deciding a batch costs a handful of round trips, not a handful per
application. Reads only; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import Status
from core.applications.models import Application
from core.customers.models import (
    Customer,
    CustomerStatus,
    DocumentType,
    Employment,
    IdentityDocument,
)
from core.errors import NotFoundError
from core.loans.calendar import Frequency
from core.money import Money
from core.products.models import LoanProduct
from core.products.service import spec_from_record
from core.scoring.bureau import BureauReport, CreditBureau
from core.scoring.derive import Applicant, whole_months, whole_years
from core.scoring.models import StatementAnalysis
from core.scoring.parser import Value

_OPEN_OFFERS: Final = frozenset({Status.SUBMITTED, Status.REFERRED, Status.APPROVED,
                                 Status.COUNTER_OFFERED, Status.ACCEPTED,
                                 Status.CONTRACT_SIGNED})
_NEXT_INSTALMENTS: Final = text("""
SELECT DISTINCT ON (i.loan_id) l.customer_id, l.frequency,
       i.principal_due + i.interest_due + i.fee_due AS amount
FROM loans l
JOIN loan_instalments i ON i.loan_id = l.id AND i.version = l.schedule_version
WHERE l.status = 'active' AND l.customer_id = ANY(:customers)
  AND i.status IN ('pending', 'due')
ORDER BY i.loan_id, i.due_date, i.number
""")


def _employment_facts(row: Employment | None, today: dt.date) -> dict[str, Value]:
    if row is None:
        return dict.fromkeys(("employment_status", "employment_months", "occupation",
                              "gross_monthly_income", "net_monthly_income",
                              "other_monthly_income", "monthly_income", "declared_expenses"))
    return {
        "employment_status": row.status.value,
        "employment_months": None if row.start_date is None
        else Decimal(whole_months(row.start_date, today)),
        "occupation": row.occupation,
        "gross_monthly_income": row.gross_monthly_income,
        "net_monthly_income": row.net_monthly_income,
        "other_monthly_income": row.other_monthly_income,
        "monthly_income": row.net_monthly_income + row.other_monthly_income,
        "declared_expenses": row.monthly_expenses,
    }


def bureau_facts(report: BureauReport | None) -> dict[str, Value]:
    """The bureau's part of the facts (all missing when there is no file)."""
    if report is None:
        return {"bureau_available": False, **dict.fromkeys((
            "bureau_score", "bureau_open_accounts", "bureau_delinquencies", "bureau_judgments",
            "bureau_public_records", "bureau_enquiries", "bureau_monthly_payments"))}
    return {
        "bureau_available": True, "bureau_score": Decimal(report.score),
        "bureau_open_accounts": Decimal(report.open_accounts),
        "bureau_delinquencies": Decimal(report.delinquencies),
        "bureau_judgments": Decimal(report.judgments),
        "bureau_public_records": Decimal(report.public_records),
        "bureau_enquiries": Decimal(report.enquiries),
        "bureau_monthly_payments": report.monthly_payments,
    }


def _statement_facts(row: StatementAnalysis | None) -> dict[str, Value]:
    if row is None:
        return {"statement_available": False, "statement_income": None,
                "statement_obligations": None, "statement_min_balance": None,
                "statement_days_negative": None}
    return {"statement_available": True, "statement_income": row.monthly_income,
            "statement_obligations": row.monthly_obligations,
            "statement_min_balance": row.minimum_balance,
            "statement_days_negative": Decimal(row.days_negative)}


async def _by_customer(
    session: AsyncSession, model: Any, customers: set[int]
) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    rows = await session.scalars(select(model).where(model.customer_id.in_(customers))
                                 .order_by(model.id))
    for row in rows:
        found[row.customer_id].append(row)
    return found


@dataclass(frozen=True, slots=True)
class Gathered:
    applicants: list[Applicant]
    """In the order asked."""
    reports: dict[int, BureauReport | None]
    """By customer id."""
    applications: list[Application]
    products: list[LoanProduct]
    """Held so the session keeps them for recording the decisions without reloading."""


async def gather(
    session: AsyncSession, *, application_ids: Sequence[int], now: dt.datetime,
    bureau: CreditBureau,
) -> Gathered:
    """Everything about the applications. NotFoundError names any id that does not exist."""
    today = now.date()
    apps = {a.id: a for a in await session.scalars(
        select(Application).where(Application.id.in_(application_ids)))}
    unknown = [i for i in application_ids if i not in apps]
    if unknown:
        raise NotFoundError(f"There is no application with id {unknown[0]}.")
    ordered = [apps[i] for i in application_ids]
    customers = {a.customer_id for a in ordered}
    people = {c.id: c for c in await session.scalars(
        select(Customer).where(Customer.id.in_(customers)))}
    jobs = {e.customer_id: e for e in await session.scalars(select(Employment).where(
        Employment.customer_id.in_(customers), Employment.superseded_on.is_(None)))}
    documents = await _by_customer(session, IdentityDocument, customers)
    history = await _by_customer(session, Application, customers)
    payments: dict[int, Decimal] = defaultdict(Decimal)
    for row in await session.execute(_NEXT_INSTALMENTS, {"customers": list(customers)}):
        per_year = Frequency(row.frequency).periods_per_year
        payments[row.customer_id] += row.amount * per_year / 12
    statements = {s.application_id: s for s in await session.scalars(
        select(StatementAnalysis).where(StatementAnalysis.application_id.in_(application_ids))
        .order_by(StatementAnalysis.id))}
    records = list(await session.scalars(
        select(LoanProduct).where(LoanProduct.id.in_({a.product_id for a in ordered}))))
    products = {p.id: spec_from_record(p) for p in records}

    reports: dict[int, BureauReport | None] = {}
    applicants = []
    for app in ordered:
        person = people[app.customer_id]
        docs = documents.get(person.id, [])
        national = next((d for d in docs if d.document_type is DocumentType.NATIONAL_ID), None)
        if person.id not in reports:
            reports[person.id] = None if national is None else await bureau.report(
                national_id_hash=national.number_hash, as_of=today)
        report = reports[person.id]
        others = [a for a in history.get(person.id, []) if a.id != app.id]
        facts: dict[str, Value] = {
            "channel": app.channel.value,
            "age": Decimal(whole_years(person.date_of_birth, today)),
            "customer_status": person.status.value,
            "blacklisted": person.status is CustomerStatus.BLOCKED or bool(
                report is not None and report.fraud_alert),
            "identity_verified": any(d.verified_at is not None and (
                d.expiry_date is None or d.expiry_date >= today) for d in docs),
            **_employment_facts(jobs.get(person.id), today),
            **bureau_facts(report),
            "lendline_monthly_payments": payments[person.id].quantize(Decimal("0.01")),
            **_recent(others, now),
            "open_applications_same_product": Decimal(sum(
                1 for a in others if a.product_id == app.product_id and a.status in _OPEN_OFFERS)),
            **_statement_facts(statements.get(app.id)),
        }
        applicants.append(Applicant(
            application_id=app.id, customer_id=person.id, reference=app.reference, today=today,
            product=products[app.product_id], amount=Money.of(app.requested_amount, app.currency),
            term=app.requested_term, date_of_birth=person.date_of_birth, gathered=facts))
    return Gathered(applicants, reports, ordered, records)


def _recent(others: Sequence[Application], now: dt.datetime) -> dict[str, Value]:
    submitted = [a.submitted_at for a in others if a.submitted_at is not None
                 and a.submitted_at <= now]
    return {f"recent_applications_{days}d": Decimal(sum(
        1 for at in submitted if at > now - dt.timedelta(days=days))) for days in (30, 90)}
