"""Collections cases: finding them, moving them through the lifecycle, queues by bucket,
and everything on file about one case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.audit.models import AuditEvent
from core.collections.buckets import ORDER, Bucket
from core.collections.lifecycle import CaseState, CloseReason, check_transition
from core.collections.models import CaseContact, CaseNote, CollectionCase, PromiseToPay
from core.collections.priority import priority
from core.errors import NotFoundError, ValidationError
from core.money import Money

ENTITY = "collection_case"
MAX_PAGE = 500


def reference(case: CollectionCase) -> str:
    return case.number


async def load_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> CollectionCase:
    """The case (locked for this transaction when `lock`); `NotFoundError` if none."""
    query = select(CollectionCase).where(CollectionCase.id == case_id)
    if lock:
        query = query.with_for_update()
    case = await session.scalar(query.execution_options(populate_existing=True))
    if case is None:
        raise NotFoundError(f"There is no collections case {case_id}.")
    return case


async def transition_case(
    session: AsyncSession, *, case_id: int, target: CaseState, actor: str, now: dt.datetime,
    reason: str | None = None,
) -> CollectionCase:
    """Move a case to `target` along the lifecycle (`core.collections.lifecycle`).

    A dispute needs a reason; closing is allowed from SETTLED only (the delinquency run
    closes cured and paid-off cases itself); ASSIGNED is reached by assigning an officer.
    Raises InvalidTransition for a move the lifecycle forbids, ValidationError for a missing
    reason or a move to ASSIGNED, NotFoundError for an unknown case. Audited
    `collections.case_transition`.
    """
    note = (reason or "").strip() or None
    if target is CaseState.ASSIGNED:
        raise ValidationError("Assign the case to an officer; that moves it to assigned.")
    if target is CaseState.DISPUTED and note is None:
        raise ValidationError("Say what the borrower disputes.")
    case = await load_case(session, case_id, lock=True)
    before = case.state
    check_transition(reference(case), before, target)
    case.state, case.state_changed_at = target, now
    if target is CaseState.CLOSED:
        case.closed_on, case.close_reason = now.date(), CloseReason.SETTLED
    await session.flush()
    await trail.record(session, actor=actor, action="collections.case_transition",
                       entity_type=ENTITY, entity_id=case.id, before={"state": before},
                       after={"state": target, "reason": note})
    return case


async def list_cases(
    session: AsyncSession, *, bucket: Bucket | None = None, state: CaseState | None = None,
    assigned_to: int | None = None, unassigned: bool = False, include_closed: bool = False,
    limit: int = 50, offset: int = 0,
) -> list[CollectionCase]:
    """Open cases (and closed ones when asked), most urgent first: priority, then arrears,
    then the oldest case."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationError(f"Ask for 1 to {MAX_PAGE} cases from a non-negative offset.")
    query = select(CollectionCase)
    if not include_closed and state is not CaseState.CLOSED:
        query = query.where(CollectionCase.state != CaseState.CLOSED)
    if bucket is not None:
        query = query.where(CollectionCase.bucket == bucket)
    if state is not None:
        query = query.where(CollectionCase.state == state)
    if assigned_to is not None:
        query = query.where(CollectionCase.assigned_to == assigned_to)
    if unassigned:
        query = query.where(CollectionCase.assigned_to.is_(None))
    rows = await session.scalars(query.order_by(
        CollectionCase.priority.desc(), CollectionCase.arrears_amount.desc(), CollectionCase.id,
    ).limit(limit).offset(offset))
    return list(rows)


@dataclass(frozen=True, slots=True)
class QueueLine:
    bucket: Bucket
    open_cases: int
    unassigned: int
    arrears: Money


async def queue_summary(session: AsyncSession, *, currency: str) -> list[QueueLine]:
    """Open cases per bucket (CURRENT omitted: no open case sits there)."""
    rows = await session.execute(
        select(CollectionCase.bucket, func.count(),
               func.sum(when((CollectionCase.assigned_to.is_(None), 1), else_=0)),
               func.coalesce(func.sum(CollectionCase.arrears_amount), 0))
        .where(CollectionCase.state != CaseState.CLOSED, CollectionCase.currency == currency)
        .group_by(CollectionCase.bucket))
    found = {Bucket(b): (n, int(u), a) for b, n, u, a in rows}
    return [QueueLine(bucket=b, open_cases=n, unassigned=u, arrears=Money.of(a, currency))
            for b in ORDER[1:] for n, u, a in [found.get(b, (0, 0, 0))]]


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CollectionCase
    contacts: list[CaseContact]
    notes: list[CaseNote]
    promises: list[PromiseToPay]
    history: list[AuditEvent]


async def case_detail(session: AsyncSession, *, case_id: int) -> CaseDetail:
    """The case with its contact log, notes and promises (newest first) and its audit
    history (oldest first)."""
    case = await load_case(session, case_id)
    contacts = await session.scalars(select(CaseContact).where(CaseContact.case_id == case_id)
                                     .order_by(CaseContact.at.desc(), CaseContact.id.desc()))
    notes = await session.scalars(select(CaseNote).where(CaseNote.case_id == case_id)
                                  .order_by(CaseNote.id.desc()))
    promises = await session.scalars(select(PromiseToPay).where(PromiseToPay.case_id == case_id)
                                     .order_by(PromiseToPay.id.desc()))
    history = await trail.history(session, entity_type=ENTITY, entity_id=case_id)
    return CaseDetail(case=case, contacts=list(contacts), notes=list(notes),
                      promises=list(promises), history=history)


def rescore_case(case: CollectionCase, *, today: dt.date, time_zone: str) -> None:
    """Set the case's priority as the daily run would on `today`."""
    last = case.last_contact_at
    days = None if last is None else (today - last.astimezone(ZoneInfo(time_zone)).date()).days
    case.priority = priority(
        bucket=case.bucket, arrears=Money.of(case.arrears_amount, case.currency),
        broken_promises=case.broken_promises, days_since_contact=days,
    ).score
