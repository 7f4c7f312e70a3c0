"""Approvals: the second person's queue (maker-checker).

Two kinds of proposal wait here: settlement offers whose discount is above their maker's
limit (`core.collections.settlements`; `settlements.approve`, and the checker's own limit for
the loan's bucket must cover the discount) and overrides of the engine's declines
(`core.applications.overrides`; `applications.override`). Nobody approves their own. The
page needs `settlements.approve`; the overrides section shows to holders of
`applications.override` (supervisors and admins, who hold both). The services decide every
refusal; the page shows their message beside the queue and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.collections_settlements import lender_today
from admin.api.decline_overrides import lender_now
from admin.auth import CurrentPrincipal, require, utcnow
from admin.console.customers import money
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.errors import status_for
from admin.permissions import Permission as P
from admin.permissions import can
from core.applications.override_queries import list_overrides
from core.applications.overrides import approve_override, reject_override
from core.collections.settlement_models import OfferStatus, SettlementOffer
from core.collections.settlement_policy import load_settlement_policy
from core.collections.settlement_queries import percent
from core.collections.settlements import approve_offer, reject_offer
from core.customers.models import Customer
from core.errors import DomainError
from core.loans.models import Loan
from core.products.merchants import percent_text
from core.staff.models import Role, StaffUser

SETTLE = [Depends(require(P.SETTLEMENTS_APPROVE))]
OVERRIDE = [Depends(require(P.APPLICATIONS_OVERRIDE))]
router = APIRouter(prefix="/console/approvals", include_in_schema=False)

NOTICES = {"settlement-approved": "The settlement offer is approved; the borrower may accept it.",
           "settlement-rejected": "The settlement offer is rejected.",
           "override-approved": "The override is approved; the application has its offer.",
           "override-rejected": "The override is rejected; the application stays declined."}
Reason = Annotated[str, Form(max_length=1000)]


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long something has waited, coarsely: "under an hour", "5 h", "3 days"."""
    hours = int((now - since).total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


async def _settlements(session: AsyncSession, viewer: StaffUser) -> list[dict[str, Any]]:
    """PROPOSED offers, oldest first, with who may approve and whether the viewer may."""
    policy = load_settlement_policy()
    rows = (await session.execute(
        select(SettlementOffer, Loan.number, Customer, StaffUser.name)
        .join(Loan, Loan.id == SettlementOffer.loan_id)
        .join(Customer, Customer.id == SettlementOffer.customer_id)
        .join(StaffUser, StaffUser.id == SettlementOffer.made_by_staff_id)
        .where(SettlementOffer.status == OfferStatus.PROPOSED)
        .order_by(SettlementOffer.id))).all()
    found = []
    for offer, loan_number, customer, maker in rows:
        ratio = offer.discount_ratio
        roles = [role for role in Role if policy.allows(offer.bucket, role, ratio)]
        limit = policy.limit(offer.bucket, viewer.role)
        if offer.made_by_staff_id == viewer.id:
            blocked = "You made this offer; a second person must approve it."
        elif viewer.role not in roles:
            blocked = (f"Your limit on loans {offer.bucket.label} is "
                       f"{'none' if limit is None else percent(limit)}; this discount needs "
                       f"{' or '.join(r.label.lower() for r in roles)} approval.")
        else:
            blocked = None
        found.append({"offer": offer, "loan": loan_number, "customer": customer,
                      "maker": maker, "percent": percent(ratio),
                      "approvers": [r.label for r in roles], "blocked": blocked})
    return found


async def _page(request: Request, session: SessionDep, viewer: StaffUser, *,
                status_code: int = 200, **extra: Any) -> Response:
    overrides = (await list_overrides(session) if can(viewer.role, P.APPLICATIONS_OVERRIDE)
                 else None)
    return render(request, "approvals.html", {
        "settlements": await _settlements(session, viewer), "overrides": overrides,
        "money": money, "waited": waited, "percent_text": percent_text, "now": utcnow(),
        "notice": NOTICES.get(request.query_params.get("notice", "")), "form": {}, **extra,
    }, status_code=status_code)


def _done(notice: str) -> Response:
    return RedirectResponse(f"/console/approvals?notice={notice}", status_code=303)


async def _refused(request: Request, session: SessionDep, viewer: StaffUser,
                   error: DomainError, form: dict[str, Any]) -> Response:
    return await _page(request, session, viewer, status_code=status_for(error),
                       error=error.message, form=form)


@router.get("", dependencies=SETTLE)
async def queue(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return await _page(request, session, principal.staff)


@router.post("/settlements/{offer_id}/approve", dependencies=SETTLE)
async def approve_settlement(request: Request, offer_id: int, session: SessionDep,
                             principal: CurrentPrincipal) -> Response:
    try:
        await approve_offer(session, offer_id=offer_id, staff_id=principal.staff.id,
                            today=lender_today(request))
    except DomainError as error:
        return await _refused(request, session, principal.staff, error, {})
    return _done("settlement-approved")


@router.post("/settlements/{offer_id}/reject", dependencies=SETTLE)
async def reject_settlement(request: Request, offer_id: int, session: SessionDep,
                            principal: CurrentPrincipal, reason: Reason = "") -> Response:
    try:
        await reject_offer(session, offer_id=offer_id, reason=reason,
                           actor=f"staff:{principal.staff.id}", today=lender_today(request))
    except DomainError as error:
        return await _refused(request, session, principal.staff, error,
                              {"settlement": offer_id, "reason": reason})
    return _done("settlement-rejected")


@router.post("/overrides/{override_id}/approve", dependencies=OVERRIDE)
async def approve_decline_override(request: Request, override_id: int, session: SessionDep,
                                   principal: CurrentPrincipal,
                                   note: Reason = "") -> Response:
    try:
        await approve_override(session, override_id=override_id, staff_id=principal.staff.id,
                               now=lender_now(request), note=note)
    except DomainError as error:
        return await _refused(request, session, principal.staff, error,
                              {"override": override_id, "note": note})
    return _done("override-approved")


@router.post("/overrides/{override_id}/reject", dependencies=OVERRIDE)
async def reject_decline_override(request: Request, override_id: int, session: SessionDep,
                                  principal: CurrentPrincipal, reason: Reason = "") -> Response:
    try:
        await reject_override(session, override_id=override_id, staff_id=principal.staff.id,
                              reason=reason, now=lender_now(request))
    except DomainError as error:
        return await _refused(request, session, principal.staff, error,
                              {"override": override_id, "reason": reason})
    return _done("override-rejected")
