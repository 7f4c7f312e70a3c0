"""Collections API (staff): the delinquency run and portfolio at risk, queues, cases with
their history, lifecycle, assignment, contacts, notes, promises, next best action, and the
import of accounts placed by other lenders.

Collectors work the cases assigned to them; supervisors and admins see every case, run the
delinquency pass, assign, set capacities and import. Other staff have no access.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.collection_views import (
    AssignIn,
    AutoAssignIn,
    AutoAssignOut,
    CancelIn,
    CapacityIn,
    CaseDetailOut,
    CaseOut,
    ContactIn,
    ContactOut,
    EvaluateIn,
    EvaluationOut,
    ImportOut,
    NbaOut,
    NoteIn,
    NoteOut,
    OfficerOut,
    PromiseIn,
    PromiseOut,
    QueueOut,
    RunIn,
    RunOut,
    TransitionIn,
)
from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.collections import accounts, assignment, cases, contacts, promises
from core.collections.buckets import Bucket
from core.collections.delinquency import run_delinquency
from core.collections.import_rows import MAX_BYTES
from core.collections.lifecycle import CaseState
from core.collections.models import CollectionCase, PromiseStatus
from core.collections.next_action import next_best_action
from core.collections.reports import (
    PortfolioAtRisk,
    RollLine,
    last_run,
    portfolio_at_risk,
    roll_rates,
)
from core.crypto import FieldCipher
from core.errors import PermissionDenied
from core.money import Money
from core.staff.models import Role, StaffUser

router = APIRouter(prefix="/collections", tags=["collections"])

_SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
_COLLECTIONS = _SUPERVISORS | {Role.COLLECTOR}


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts and when, in the lender's time zone."""

    staff: StaffUser
    actor: str
    now: dt.datetime
    time_zone: str

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def supervises(self) -> bool:
        return self.staff.role in _SUPERVISORS

    def require_supervisor(self, doing: str) -> None:
        if not self.supervises:
            raise PermissionDenied(f"Only collections supervisors and admins may {doing}.")


def context(request: Request, staff: CurrentStaff) -> Context:
    if staff.role not in _COLLECTIONS:
        raise PermissionDenied("Collections is open to collectors, supervisors and admins.")
    settings: Any = request.app.state.settings
    return Context(staff=staff, actor=f"staff:{staff.id}",
                   now=dt.datetime.now(ZoneInfo(settings.timezone)), time_zone=settings.timezone)


Ctx = Annotated[Context, Depends(context)]


async def _case(session: AsyncSession, ctx: Context, case_id: int) -> CollectionCase:
    """The case, if the caller may work it: supervisors any, collectors their own."""
    case = await cases.load_case(session, case_id)
    if not ctx.supervises and case.assigned_to != ctx.staff.id:
        raise PermissionDenied(f"Case {case.number} is not assigned to you.")
    return case


@router.post("/delinquency-runs")
async def run(body: RunIn, session: SessionDep, ctx: Ctx) -> RunOut:
    """Run the daily delinquency pass for a date (idempotent: a rerun changes nothing)."""
    ctx.require_supervisor("run the delinquency pass")
    result = await run_delinquency(session, as_of=body.as_of or ctx.today, actor=ctx.actor,
                                   time_zone=ctx.time_zone)
    return RunOut.of(result)


@router.get("/par")
async def par(session: SessionDep, ctx: Ctx, as_of: dt.date | None = None) -> PortfolioAtRisk:
    """Portfolio at risk (PAR1/30/60/90) and the book by bucket from a day's snapshot."""
    ctx.require_supervisor("see portfolio at risk")
    day = as_of or ctx.today
    await last_run(session, as_of=day)
    return await portfolio_at_risk(session, as_of=day)


@router.get("/roll-rates")
async def rolls(session: SessionDep, ctx: Ctx, start: dt.date, end: dt.date) -> list[RollLine]:
    """Where the loans of each bucket on `start` were on `end`."""
    ctx.require_supervisor("see roll rates")
    return await roll_rates(session, start=start, end=end)


@router.get("/queues")
async def queues(session: SessionDep, ctx: Ctx, request: Request) -> list[QueueOut]:
    """Open cases per bucket, with how many are unassigned and their arrears."""
    ctx.require_supervisor("see every queue")
    currency: str = request.app.state.settings.currency
    return [QueueOut.of(line) for line in await cases.queue_summary(session, currency=currency)]


@router.get("/cases")
async def list_cases(
    session: SessionDep, ctx: Ctx, bucket: Bucket | None = None, state: CaseState | None = None,
    assigned_to: int | None = None, unassigned: bool = False, include_closed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseOut]:
    """A queue, most urgent first (priority, then arrears)."""
    ctx.require_supervisor("see every case")
    found = await cases.list_cases(session, bucket=bucket, state=state, assigned_to=assigned_to,
                                   unassigned=unassigned, include_closed=include_closed,
                                   limit=limit, offset=offset)
    return [CaseOut.of(case) for case in found]


@router.get("/my-cases")
async def my_cases(
    session: SessionDep, ctx: Ctx, bucket: Bucket | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseOut]:
    """The caller's open cases, most urgent first."""
    found = await cases.list_cases(session, bucket=bucket, assigned_to=ctx.staff.id,
                                   limit=limit, offset=offset)
    return [CaseOut.of(case) for case in found]


@router.get("/cases/{case_id}")
async def case_detail(case_id: int, session: SessionDep, ctx: Ctx) -> CaseDetailOut:
    """The case with its contacts, notes, promises and history."""
    await _case(session, ctx, case_id)
    return CaseDetailOut.of(await cases.case_detail(session, case_id=case_id))


@router.post("/cases/{case_id}/transition")
async def transition(case_id: int, body: TransitionIn, session: SessionDep, ctx: Ctx) -> CaseOut:
    """Move the case along its lifecycle."""
    await _case(session, ctx, case_id)
    case = await cases.transition_case(session, case_id=case_id, target=body.state,
                                       actor=ctx.actor, now=ctx.now, reason=body.reason)
    return CaseOut.of(case)


@router.post("/cases/{case_id}/assign")
async def assign(case_id: int, body: AssignIn, session: SessionDep, ctx: Ctx) -> CaseOut:
    """Give the case to a collections officer within their capacity."""
    ctx.require_supervisor("assign cases")
    case = await assignment.assign_case(session, case_id=case_id, officer_id=body.officer_id,
                                        actor=ctx.actor, now=ctx.now)
    return CaseOut.of(case)


@router.post("/assignments")
async def auto_assign(body: AutoAssignIn, session: SessionDep, ctx: Ctx) -> AutoAssignOut:
    """Assign unassigned cases, most urgent first, to the least-loaded officers."""
    ctx.require_supervisor("assign cases")
    done = await assignment.auto_assign(session, actor=ctx.actor, now=ctx.now,
                                        bucket=body.bucket, limit=body.limit)
    return AutoAssignOut(assigned=list(done.assigned), left_unassigned=done.left_unassigned)


@router.get("/officers")
async def officers(session: SessionDep, ctx: Ctx) -> list[OfficerOut]:
    """Active collectors with their open cases and capacity."""
    ctx.require_supervisor("see officers' loads")
    return [OfficerOut.of(load) for load in await assignment.officer_loads(session)]


@router.put("/officers/{staff_id}/capacity")
async def capacity(staff_id: int, body: CapacityIn, session: SessionDep, ctx: Ctx) -> OfficerOut:
    """Set how many open cases an officer may hold."""
    ctx.require_supervisor("set capacities")
    await assignment.set_capacity(session, staff_id=staff_id,
                                  max_open_cases=body.max_open_cases, actor=ctx.actor)
    loads = await assignment.officer_loads(session)
    return OfficerOut.of(next(load for load in loads if load.staff_id == staff_id))


@router.post("/cases/{case_id}/contacts", status_code=status.HTTP_201_CREATED)
async def log_contact(case_id: int, body: ContactIn, session: SessionDep, ctx: Ctx) -> ContactOut:
    """Log a contact or attempt (the case's state follows the outcome)."""
    await _case(session, ctx, case_id)
    contact = await contacts.log_contact(
        session, case_id=case_id, channel=body.channel, direction=body.direction,
        outcome=body.outcome, at=body.at or ctx.now, now=ctx.now, actor=ctx.actor,
        note=body.note, time_zone=ctx.time_zone)
    return ContactOut.of(contact)


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(case_id: int, body: NoteIn, session: SessionDep, ctx: Ctx) -> NoteOut:
    await _case(session, ctx, case_id)
    return NoteOut.of(await contacts.add_note(session, case_id=case_id, text=body.text,
                                              actor=ctx.actor))


@router.post("/cases/{case_id}/promises", status_code=status.HTTP_201_CREATED)
async def promise(case_id: int, body: PromiseIn, session: SessionDep, ctx: Ctx) -> PromiseOut:
    """Record a promise to pay."""
    case = await _case(session, ctx, case_id)
    made = await promises.create_promise(
        session, case_id=case_id, amount=Money.of(body.amount, case.currency),
        promised_date=body.promised_date, grace_days=body.grace_days, today=ctx.today,
        actor=ctx.actor)
    return PromiseOut.of(made)


@router.post("/cases/{case_id}/promises/evaluate")
async def evaluate(case_id: int, body: EvaluateIn, session: SessionDep, ctx: Ctx) -> EvaluationOut:
    """Judge the case's pending promise as of a date; returns the next best action."""
    await _case(session, ctx, case_id)
    result = await promises.evaluate_case_promises(
        session, case_id=case_id, as_of=body.as_of or ctx.today, actor=ctx.actor,
        time_zone=ctx.time_zone)
    detail = await cases.case_detail(session, case_id=case_id)
    best = await next_best_action(session, case_id=case_id, now=ctx.now,
                                  time_zone=ctx.time_zone)
    return EvaluationOut(
        kept=[i for i, s in result.decided if s is PromiseStatus.KEPT],
        broken=[i for i, s in result.decided if s is PromiseStatus.BROKEN],
        promises=[PromiseOut.of(p) for p in detail.promises], next_best_action=NbaOut.of(best))


@router.post("/cases/{case_id}/promises/{promise_id}/cancel")
async def cancel(case_id: int, promise_id: int, body: CancelIn, session: SessionDep,
                 ctx: Ctx) -> PromiseOut:
    await _case(session, ctx, case_id)
    return PromiseOut.of(await promises.cancel_promise(
        session, case_id=case_id, promise_id=promise_id, reason=body.reason, actor=ctx.actor))


@router.get("/cases/{case_id}/next-best-action")
async def next_action(case_id: int, session: SessionDep, ctx: Ctx) -> NbaOut:
    """What to do next on the case now, with the reasons (contact compliance applied)."""
    await _case(session, ctx, case_id)
    return NbaOut.of(await next_best_action(session, case_id=case_id, now=ctx.now,
                                            time_zone=ctx.time_zone))


@router.post("/imports")
async def import_accounts(
    request: Request, session: SessionDep, ctx: Ctx,
    lender_code: Annotated[str, Form()],
    file: Annotated[UploadFile, File(description="CSV (UTF-8), at most 5 MB.")],
    dry_run: Annotated[bool, Form()] = False,
) -> ImportOut:
    """Import a lender's delinquent accounts (multipart: `lender_code`, `file`, `dry_run`);
    returns the report with every rejected line."""
    ctx.require_supervisor("import accounts")
    cipher: FieldCipher = request.app.state.field_cipher
    report = await accounts.import_accounts(
        session, lender_code=lender_code, filename=file.filename or "", cipher=cipher,
        content=await file.read(MAX_BYTES + 1), today=ctx.today, actor=ctx.actor,
        dry_run=dry_run, time_zone=ctx.time_zone)
    return ImportOut.of(report)


@router.get("/imports/{import_id}")
async def import_report(import_id: int, session: SessionDep, ctx: Ctx) -> ImportOut:
    ctx.require_supervisor("see imports")
    return ImportOut.of(await accounts.load_import(session, import_id=import_id))
