"""Overrides of the engine's declines over the staff API (maker-checker): the console's twins.

A credit officer proposes (`applications.decide`); a second staff member approves or
rejects (`applications.override`), never the proposer. The rules are the core's
(`core.applications.overrides`); each route declares its permission with `require`. Amounts
are strings ("15000.00") in the application's currency, rates fractions ("0.145").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from admin.auth import require
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.applications import overrides
from core.applications.lifecycle import Status
from core.applications.override_models import OverrideStatus
from core.applications.override_queries import OverrideEntry, list_overrides, override_entry
from core.applications.repository import load_application
from core.money import Money
from core.staff.models import StaffUser

router = APIRouter(tags=["decisions"])

Proposer = Annotated[StaffUser, Depends(require(P.APPLICATIONS_DECIDE))]
Checker = Annotated[StaffUser, Depends(require(P.APPLICATIONS_OVERRIDE))]
Text = Annotated[str, Field(max_length=overrides.MAX_TEXT)]


def lender_now(request: Request) -> dt.datetime:
    """Now in the lender's time zone: an offer's expiry date is the lender's date."""
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone))


Now = Annotated[dt.datetime, Depends(lender_now)]


class ProposalIn(BaseModel):
    outcome: Status = Field(examples=["counter_offered"],
                            description="approved or counter_offered")
    reason: Text
    risk_band: str | None = Field(default=None, description="Default: the engine's band.")
    offered_amount: str | None = Field(default=None, examples=["15000.00"])
    offered_term: int | None = None
    offered_rate: Decimal | None = Field(default=None, examples=["0.145"])


class ApproveIn(BaseModel):
    note: Text | None = None


class RejectIn(BaseModel):
    reason: Text


class OverrideOut(BaseModel):
    id: int
    status: OverrideStatus
    stale: bool = Field(description="The application changed since; it cannot be approved.")
    application_id: int
    application_reference: str
    application_status: Status
    customer_id: int
    customer_name: str
    credit_decision_id: int
    outcome: Status
    risk_band: str
    currency: str
    offered_amount: str
    offered_term: int
    offered_rate: str
    reason: str
    proposed_by_staff_id: int
    proposed_by: str
    proposed_at: dt.datetime
    checked_by_staff_id: int | None
    checked_by: str | None
    checked_at: dt.datetime | None
    check_note: str | None

    @classmethod
    def of(cls, entry: OverrideEntry) -> OverrideOut:
        p, application = entry.proposal, entry.application
        return cls(
            id=p.id, status=p.status, stale=entry.stale, application_id=application.id,
            application_reference=application.reference, application_status=application.status,
            customer_id=entry.customer.id, customer_name=entry.customer.full_name,
            credit_decision_id=p.credit_decision_id, outcome=p.outcome, risk_band=p.risk_band,
            currency=p.currency, offered_amount=str(p.offered_amount),
            offered_term=p.offered_term, offered_rate=str(p.offered_rate), reason=p.reason,
            proposed_by_staff_id=p.proposed_by_staff_id, proposed_by=entry.proposed_by,
            proposed_at=p.proposed_at, checked_by_staff_id=p.checked_by_staff_id,
            checked_by=entry.checked_by, checked_at=p.checked_at, check_note=p.check_note)


@router.post("/applications/{application_id}/override-proposals",
             status_code=status.HTTP_201_CREATED)
async def propose(application_id: int, body: ProposalIn, session: SessionDep,
                  staff: Proposer, now: Now) -> OverrideOut:
    """Propose overriding the engine's decline of this application (pending until checked)."""
    application = await load_application(session, application_id)
    proposal = await overrides.propose_override(
        session, application_id=application_id, staff_id=staff.id, outcome=body.outcome,
        reason=body.reason, now=now, risk_band=body.risk_band, offered_term=body.offered_term,
        offered_rate=body.offered_rate,
        offered_amount=(None if body.offered_amount is None
                        else Money.of(body.offered_amount, application.currency)))
    return OverrideOut.of(await override_entry(session, proposal.id))


@router.get("/decline-overrides")
async def listing(
    session: SessionDep, staff: Proposer,
    state: Annotated[OverrideStatus | Literal["all"], Query(alias="status")] = (
        OverrideStatus.PENDING),
    application_id: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[OverrideOut]:
    """Proposals, oldest first (by default the pending ones: the approvals queue)."""
    entries = await list_overrides(session, status=None if state == "all" else state,
                                   application_id=application_id, limit=limit)
    return [OverrideOut.of(entry) for entry in entries]


@router.get("/decline-overrides/{override_id}")
async def one(override_id: int, session: SessionDep, staff: Proposer) -> OverrideOut:
    return OverrideOut.of(await override_entry(session, override_id))


@router.post("/decline-overrides/{override_id}/approve")
async def approve(override_id: int, session: SessionDep, staff: Checker, now: Now,
                  body: ApproveIn | None = None) -> OverrideOut:
    """Approve as the second person: the application gets the proposed offer."""
    await overrides.approve_override(session, override_id=override_id, staff_id=staff.id,
                                     now=now, note=None if body is None else body.note)
    return OverrideOut.of(await override_entry(session, override_id))


@router.post("/decline-overrides/{override_id}/reject")
async def reject(override_id: int, body: RejectIn, session: SessionDep, staff: Checker,
                 now: Now) -> OverrideOut:
    """Reject the proposal; the application stays declined."""
    await overrides.reject_override(session, override_id=override_id, staff_id=staff.id,
                                    reason=body.reason, now=now)
    return OverrideOut.of(await override_entry(session, override_id))
