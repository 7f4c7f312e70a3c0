"""The customer view: search, then one page with everything staff need about a customer.

Profile and verification, consents, opt-outs and holds, applications with their decision
traces, loans with schedule, payments, balance, collections case and ledger entries, the
contact history and every conversation. The numbers come from the core services the staff
API uses; this module only gathers them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.loan_views import LoanOut
from admin.auth import require, utcnow
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.applications.service import list_applications
from core.collections.cases import case_detail, load_case
from core.collections.models import CollectionCase
from core.collections.promises import create_promise
from core.compliance.holds import list_holds
from core.compliance.models import ChannelOptOut
from core.compliance.service import contact_history
from core.conversations.models import Conversation
from core.customers.models import Customer
from core.customers.service import search_customers
from core.customers.summary import customer_summary
from core.errors import DomainError, NotFoundError, PermissionDenied
from core.ledger.models import JournalEntry, JournalLine
from core.loans.models import Loan
from core.loans.queries import get_loan, loan_schedule, loan_transactions, search_loans
from core.loans.repayment import record_repayment
from core.money import Money
from core.scoring.engine import decisions_for
from core.staff.models import Role, StaffUser

router = APIRouter(prefix="/console/customers", include_in_schema=False,
                   dependencies=[Depends(require(P.CUSTOMERS_VIEW))])

recording = APIRouter(prefix="/console/customers", include_in_schema=False)
"""Payments and promises taken by hand: each route declares its own permission."""

RECENT = 50
NOTICES = {"payment": "The payment is recorded.", "promise": "The promise to pay is recorded."}


def money(value: Decimal | str | None, currency: str) -> str:
    """An amount as the house shows it: currency, thousands separators, two decimals."""
    return "—" if value is None else str(Money.of(value, currency))


@router.get("")
async def customers(
    request: Request, session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    if q.strip():
        rows = await search_customers(session, query=q, cipher=request.app.state.field_cipher,
                                      limit=RECENT)
    else:
        rows = (await session.scalars(
            select(Customer).order_by(Customer.id.desc()).limit(RECENT))).all()
    return render(request, "customers.html", {"rows": rows, "q": q})


@router.get("/{customer_id}")
async def customer(request: Request, customer_id: int, session: SessionDep) -> Response:
    return await _customer_page(request, customer_id, session)


async def _customer_page(request: Request, customer_id: int, session: AsyncSession, *,
                         status_code: int = 200, error: str | None = None) -> Response:
    try:
        summary = await customer_summary(session, customer_id=customer_id)
    except NotFoundError as error:
        # Rendered here, inside the request's transaction: the shared handler runs after the
        # rollback and cannot load the signed-in session any more on a live server.
        return render(request, "error.html", {"title": "Not found", "message": error.message},
                      status_code=404)
    now = utcnow()
    return render(request, "customer.html", {
        "c": summary, "money": money, "now": now, "today": _today(request), "error": error,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "payment_key": secrets.token_urlsafe(12),
        "verified": any(d.verified for d in summary.documents)
        and any(c.verified for c in summary.contacts),
        "opt_outs": await _opt_outs(session, customer_id),
        "holds": await list_holds(session, customer_id=customer_id, active_at=now),
        "applications": await _applications(session, customer_id),
        "loans": [await _loan(session, loan) for loan in await search_loans(
            session, customer_id=customer_id, limit=100)],
        "contacts": await contact_history(session, customer_id=customer_id),
        "conversations": (await session.scalars(
            select(Conversation).where(Conversation.customer_id == customer_id)
            .order_by(Conversation.last_activity_at.desc()))).all(),
    }, status_code=status_code)


def _today(request: Request) -> dt.date:
    """Today in the lender's time zone, the day payments and promises are dated by."""
    return utcnow().astimezone(ZoneInfo(request.app.state.settings.timezone)).date()


def _done(customer_id: int, notice: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/console/customers/{customer_id}?notice={notice}#{anchor}",
                            status_code=303)


@recording.post("/loans/{loan_id}/payments")
async def record_payment(
    request: Request, loan_id: int, session: SessionDep,
    staff: Annotated[StaffUser, Depends(require(P.PAYMENTS_RECORD))],
    amount: Annotated[str, Form(max_length=30)], paid_on: Annotated[dt.date, Form()],
    key: Annotated[str, Form(min_length=8, max_length=40)],
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A payment received by hand; the form's one-time key makes a double submit harmless."""
    loan = await get_loan(session, loan_id=loan_id)
    try:
        await record_repayment(
            session, loan_id=loan_id, amount=Money.of(amount, loan.currency), paid_on=paid_on,
            idempotency_key=f"console:{key}", actor=f"staff:{staff.id}",
            reference=reference.strip() or None)
    except DomainError as error:
        return await _customer_page(request, loan.customer_id, session, status_code=422,
                                    error=error.message)
    return _done(loan.customer_id, "payment", f"loan-{loan_id}")


@recording.post("/cases/{case_id}/promises")
async def record_promise(
    request: Request, case_id: int, session: SessionDep,
    staff: Annotated[StaffUser, Depends(require(P.PROMISES_RECORD))],
    amount: Annotated[str, Form(max_length=30)], promised_date: Annotated[dt.date, Form()],
) -> Response:
    """A promise to pay taken by hand; collections officers record on their own cases only."""
    case = await load_case(session, case_id)
    if case.customer_id is None:
        raise NotFoundError(f"Case {case.number} has no customer of ours.")
    try:
        if staff.role is Role.COLLECTOR and case.assigned_to != staff.id:
            raise PermissionDenied(f"Case {case.number} is not assigned to you.")
        await create_promise(session, case_id=case_id, amount=Money.of(amount, case.currency),
                             promised_date=promised_date, today=_today(request),
                             actor=f"staff:{staff.id}")
    except DomainError as error:
        refused = isinstance(error, PermissionDenied)
        return await _customer_page(request, case.customer_id, session, error=error.message,
                                    status_code=403 if refused else 422)
    return _done(case.customer_id, "promise", f"loan-{case.loan_id}")


async def _opt_outs(session: AsyncSession, customer_id: int) -> list[ChannelOptOut]:
    """The latest opt-out decision per channel (the table only grows; the latest wins)."""
    rows = await session.scalars(select(ChannelOptOut).where(
        ChannelOptOut.customer_id == customer_id).order_by(ChannelOptOut.recorded_at))
    return list({row.channel: row for row in rows}.values())


async def _applications(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    return [{"a": a, "decisions": await decisions_for(session, application_id=a.id)}
            for a in await list_applications(session, customer_id=customer_id, limit=500)]


async def _loan(session: AsyncSession, loan: Loan) -> dict[str, Any]:
    cases = (await session.scalars(select(CollectionCase).where(
        CollectionCase.loan_id == loan.id).order_by(CollectionCase.id.desc()))).all()
    entries = (await session.scalars(
        select(JournalEntry).where(JournalEntry.id.in_(
            select(JournalLine.entry_id).where(JournalLine.loan_id == loan.id)))
        .order_by(JournalEntry.effective_date, JournalEntry.id))).all()
    return {
        "loan": loan, "balances": LoanOut.full(loan).balances,
        "schedule": await loan_schedule(session, loan_id=loan.id),
        "transactions": await loan_transactions(session, loan_id=loan.id),
        "cases": [await case_detail(session, case_id=case.id) for case in cases],
        "entries": entries,
    }
