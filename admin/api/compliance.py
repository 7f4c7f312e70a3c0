"""Contact compliance API (staff): check a contact before making it, log the attempt, place
and release holds, record opt-outs, approve contact with a vulnerable borrower.

Any staff member may check, log, place a hold or record an opt-out (each only protects the
borrower); releasing a hold and approving contact need a supervisor or an admin (enforced
by the core services). Times are ISO 8601 with an offset; they default to now.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.compliance import holds as hold_service
from core.compliance.models import (
    ActorKind,
    ChannelOptOut,
    ContactApproval,
    ContactAttempt,
    ContactHold,
    ContactPurpose,
    HoldType,
)
from core.compliance.policy import load_profile
from core.compliance.service import check_contact, contact_history, record_contact
from core.customers.models import ContactChannel
from core.staff.models import StaffUser

router = APIRouter(prefix="/compliance", tags=["compliance"])


def clock() -> dt.datetime:
    """The current instant (a dependency, so tests can fix the time)."""
    return dt.datetime.now(dt.UTC)


Now = Annotated[dt.datetime, Depends(clock)]


def _actor(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


class CheckIn(BaseModel):
    customer_id: int
    channel: ContactChannel
    purpose: ContactPurpose = ContactPurpose.COLLECTIONS
    actor_kind: ActorKind = ActorKind.HUMAN
    at: dt.datetime | None = Field(default=None, examples=["2024-05-06T08:00:00-04:00"])


class DecisionOut(BaseModel):
    allowed: bool
    reasons: list[str]
    codes: list[str]
    next_allowed_at: dt.datetime | None
    checked_at: dt.datetime


class ContactIn(CheckIn):
    idempotency_key: str = Field(max_length=200)
    loan_id: int | None = None
    reference: str | None = Field(default=None, max_length=200)


class AttemptOut(BaseModel):
    id: int
    customer_id: int
    channel: ContactChannel
    purpose: ContactPurpose
    actor_kind: ActorKind
    actor: str
    attempted_at: dt.datetime
    loan_id: int | None
    reference: str | None
    compliant: bool
    reasons: list[Any]

    @classmethod
    def of(cls, attempt: ContactAttempt) -> AttemptOut:
        return cls(
            id=attempt.id, customer_id=attempt.customer_id, channel=attempt.channel,
            purpose=attempt.purpose, actor_kind=attempt.actor_kind, actor=attempt.actor,
            attempted_at=attempt.attempted_at, loan_id=attempt.loan_id,
            reference=attempt.reference, compliant=attempt.compliant, reasons=attempt.reasons,
        )


class HoldIn(BaseModel):
    hold_type: HoldType
    reason: str = Field(max_length=500)
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


class ReleaseIn(BaseModel):
    reason: str = Field(max_length=500)


class HoldOut(BaseModel):
    id: int
    customer_id: int
    hold_type: HoldType
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    reason: str
    placed_by: str
    released_at: dt.datetime | None
    released_by: str | None
    release_reason: str | None

    @classmethod
    def of(cls, hold: ContactHold) -> HoldOut:
        return cls(
            id=hold.id, customer_id=hold.customer_id, hold_type=hold.hold_type,
            starts_at=hold.starts_at, ends_at=hold.ends_at, reason=hold.reason,
            placed_by=hold.placed_by, released_at=hold.released_at,
            released_by=hold.released_by, release_reason=hold.release_reason,
        )


class OptOutIn(BaseModel):
    channel: ContactChannel
    opted_out: bool = True
    source: str = Field(max_length=200, examples=["replied STOP by SMS"])


class OptOutOut(BaseModel):
    id: int
    channel: ContactChannel
    opted_out: bool
    recorded_at: dt.datetime
    source: str

    @classmethod
    def of(cls, row: ChannelOptOut) -> OptOutOut:
        return cls(id=row.id, channel=row.channel, opted_out=row.opted_out,
                   recorded_at=row.recorded_at, source=row.source)


class ApprovalIn(BaseModel):
    reason: str = Field(max_length=500)
    valid_until: dt.datetime


class ApprovalOut(BaseModel):
    id: int
    customer_id: int
    approved_by_staff_id: int
    valid_from: dt.datetime
    valid_until: dt.datetime
    reason: str

    @classmethod
    def of(cls, row: ContactApproval) -> ApprovalOut:
        return cls(id=row.id, customer_id=row.customer_id,
                   approved_by_staff_id=row.approved_by_staff_id, valid_from=row.valid_from,
                   valid_until=row.valid_until, reason=row.reason)


@router.get("/profile")
async def profile(staff: CurrentStaff) -> dict[str, Any]:
    """The jurisdiction contact profile in force (hours, caps, cooling-off)."""
    return load_profile().model_dump(mode="json")


@router.post("/check")
async def check(body: CheckIn, session: SessionDep, staff: CurrentStaff,
                now: Now) -> DecisionOut:
    """May this contact happen at `at` (default now)? If not, why and when next."""
    at = body.at or now
    decision = await check_contact(session, customer_id=body.customer_id, channel=body.channel,
                                   purpose=body.purpose, at=at, actor_kind=body.actor_kind)
    return DecisionOut(allowed=decision.allowed, reasons=decision.reasons,
                       codes=[code.value for code in decision.codes],
                       next_allowed_at=decision.next_allowed_at, checked_at=at)


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
async def log_contact(body: ContactIn, session: SessionDep, staff: CurrentStaff,
                      now: Now) -> AttemptOut:
    """Log a contact attempt (idempotent by `idempotency_key`), compliant or not."""
    attempt = await record_contact(
        session, customer_id=body.customer_id, channel=body.channel, purpose=body.purpose,
        at=body.at or now, actor_kind=body.actor_kind, actor=_actor(staff),
        idempotency_key=body.idempotency_key, loan_id=body.loan_id, reference=body.reference)
    return AttemptOut.of(attempt)


@router.get("/customers/{customer_id}/contacts")
async def contacts(customer_id: int, session: SessionDep, staff: CurrentStaff,
                   since: dt.datetime | None = None) -> list[AttemptOut]:
    return [AttemptOut.of(a) for a in await contact_history(session, customer_id=customer_id,
                                                             since=since)]


@router.post("/customers/{customer_id}/holds", status_code=status.HTTP_201_CREATED)
async def place_hold(customer_id: int, body: HoldIn, session: SessionDep, staff: CurrentStaff,
                     now: Now) -> HoldOut:
    hold = await hold_service.place_hold(
        session, customer_id=customer_id, hold_type=body.hold_type, reason=body.reason,
        actor=_actor(staff), starts_at=body.starts_at or now, ends_at=body.ends_at)
    return HoldOut.of(hold)


@router.get("/customers/{customer_id}/holds")
async def holds(customer_id: int, session: SessionDep, staff: CurrentStaff, now: Now,
                active: Annotated[bool, Query(description="only holds applying now")] = False,
                ) -> list[HoldOut]:
    rows = await hold_service.list_holds(session, customer_id=customer_id,
                                         active_at=now if active else None)
    return [HoldOut.of(h) for h in rows]


@router.post("/holds/{hold_id}/release")
async def release_hold(hold_id: int, body: ReleaseIn, session: SessionDep, staff: CurrentStaff,
                       now: Now) -> HoldOut:
    hold = await hold_service.release_hold(session, hold_id=hold_id, staff_id=staff.id,
                                           reason=body.reason, now=now)
    return HoldOut.of(hold)


@router.post("/customers/{customer_id}/opt-outs", status_code=status.HTTP_201_CREATED)
async def opt_out(customer_id: int, body: OptOutIn, session: SessionDep, staff: CurrentStaff,
                  now: Now) -> OptOutOut:
    row = await hold_service.set_opt_out(
        session, customer_id=customer_id, channel=body.channel, opted_out=body.opted_out,
        now=now, source=body.source, actor=_actor(staff))
    return OptOutOut.of(row)


@router.post("/customers/{customer_id}/approvals", status_code=status.HTTP_201_CREATED)
async def approve(customer_id: int, body: ApprovalIn, session: SessionDep, staff: CurrentStaff,
                  now: Now) -> ApprovalOut:
    row = await hold_service.approve_contact(
        session, customer_id=customer_id, staff_id=staff.id, reason=body.reason, now=now,
        valid_until=body.valid_until)
    return ApprovalOut.of(row)
