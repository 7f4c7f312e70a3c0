"""Decisions: the queue of referred applications, decided by a credit officer with a reason,
and the engine's recent declines, for which an officer may propose an override.

Approve, decline or counter-offer through `record_staff_decision`, the service the staff API
uses; it keeps the engine's trace inside the officer's and refuses anything not referred.
An override proposal (`overrides.propose_override`) waits on the Approvals page for a second
staff member (`admin/console/approvals.py`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.api.decline_overrides import lender_now
from admin.auth import CurrentPrincipal, require, utcnow
from admin.console.customers import money
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.errors import status_for
from admin.permissions import Permission as P
from core.applications.decisions import record_staff_decision
from core.applications.lifecycle import Status
from core.applications.override_queries import engine_declines
from core.applications.overrides import OUTCOMES as OVERRIDE_OUTCOMES
from core.applications.overrides import propose_override
from core.applications.repository import load_application
from core.applications.service import list_applications
from core.customers.repository import load_customer
from core.errors import DomainError, ValidationError
from core.money import Money
from core.products.spec import BANDS

router = APIRouter(prefix="/console/decisions", include_in_schema=False,
                   dependencies=[Depends(require(P.APPLICATIONS_DECIDE))])

OUTCOMES = (Status.APPROVED, Status.COUNTER_OFFERED, Status.DECLINED)
NOTICES = {"decided": "The decision is recorded.",
           "proposed": "The override is proposed; a supervisor or admin approves or rejects "
                       "it on the Approvals page."}
DECLINES_SINCE = dt.timedelta(days=90)


def _optional(text: str) -> str | None:
    return text.strip() or None


def _rate(text: str) -> Decimal | None:
    """A rate typed as a percentage ("15" or "15.5") as the fraction services take."""
    cleaned = text.strip().rstrip("%")
    if not cleaned:
        return None
    try:
        return Decimal(cleaned) / 100
    except InvalidOperation:
        raise ValidationError(f"{text!r} is not a rate; type a percentage such as 15.5.") from None


async def _page(request: Request, session: SessionDep, *, status_code: int = 200,
                **extra: Any) -> Response:
    rows = []
    for application in await list_applications(session, status=Status.REFERRED, limit=500):
        customer = await load_customer(session, application.customer_id)
        rows.append({"a": application, "customer": customer,
                     "trace": application.decision_trace or {}})
    declines = await engine_declines(session, since=utcnow() - DECLINES_SINCE)
    return render(request, "decisions.html", {
        "rows": rows, "declines": declines, "money": money, "outcomes": OUTCOMES,
        "override_outcomes": OVERRIDE_OUTCOMES, "bands": BANDS,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form": {}, **extra,
    }, status_code=status_code)


def _offer(currency: str, amount: str, term: str, rate: str) -> dict[str, Any]:
    """The typed offer fields as the services take them; the services check the values."""
    if term.strip() and not term.strip().isdigit():
        raise ValidationError(f"{term!r} is not a number of months.")
    return {"offered_amount": Money.of(amount, currency) if amount.strip() else None,
            "offered_term": int(term) if term.strip() else None, "offered_rate": _rate(rate)}


@router.get("")
async def queue(request: Request, session: SessionDep) -> Response:
    return await _page(request, session)


@router.post("/{application_id}")
async def decide(
    request: Request, application_id: int, session: SessionDep, principal: CurrentPrincipal,
    outcome: Annotated[Status, Form()], reason: Annotated[str, Form(max_length=1000)],
    risk_band: Annotated[str, Form(max_length=5)] = "",
    offered_amount: Annotated[str, Form(max_length=30)] = "",
    offered_term: Annotated[str, Form(max_length=5)] = "",
    offered_rate: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    application = await load_application(session, application_id)
    try:
        offer = _offer(application.currency, offered_amount, offered_term, offered_rate)
        await record_staff_decision(
            session, application_id=application_id, outcome=outcome, reason=reason,
            actor=f"staff:{principal.staff.id}", now=utcnow(),
            risk_band=None if outcome is Status.DECLINED else _optional(risk_band), **offer,
        )
    except DomainError as error:
        return await _page(request, session, status_code=422, error=error.message,
                           form={"id": application_id, "reason": reason})
    return RedirectResponse("/console/decisions?notice=decided", status_code=303)


@router.post("/{application_id}/override")
async def propose(
    request: Request, application_id: int, session: SessionDep, principal: CurrentPrincipal,
    outcome: Annotated[Status, Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
    risk_band: Annotated[str, Form(max_length=5)] = "",
    offered_amount: Annotated[str, Form(max_length=30)] = "",
    offered_term: Annotated[str, Form(max_length=5)] = "",
    offered_rate: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Propose overriding the engine's decline; a second staff member checks it."""
    application = await load_application(session, application_id)
    try:
        offer = _offer(application.currency, offered_amount, offered_term, offered_rate)
        await propose_override(
            session, application_id=application_id, staff_id=principal.staff.id,
            outcome=outcome, reason=reason, now=lender_now(request),
            risk_band=_optional(risk_band), **offer)
    except DomainError as error:
        return await _page(request, session, status_code=status_for(error), error=error.message,
                           form={"id": application_id, "reason": reason})
    return RedirectResponse("/console/decisions?notice=proposed", status_code=303)
