"""Assigning cases to collections officers (active staff with the COLLECTOR role) within
their capacity: the most open cases each may hold (`collector_capacities`, else
`DEFAULT_CAPACITY`).

Automatic assignment is least-loaded, not round-robin: each case, most urgent first, goes to
the officer using the smallest share of their capacity (then fewest cases, then lowest id).
Round-robin would ignore the cases officers already hold and their different capacities;
least-loaded evens out the workload and is just as deterministic.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.buckets import Bucket
from core.collections.cases import ENTITY, load_case, reference
from core.collections.lifecycle import CaseState
from core.collections.models import CollectionCase, CollectorCapacity
from core.errors import ConflictError, NotFoundError, ValidationError
from core.staff.models import Role, StaffUser

DEFAULT_CAPACITY: Final = 150
MAX_CAPACITY: Final = 5000
ASSIGNMENT_LOCK: Final = 0x4C4E4153
"""Advisory lock key ("LNAS"): one assignment at a time, so loads are counted right."""

_ASSIGN = """
UPDATE collection_cases SET assigned_to = :officer, assigned_at = :now,
    state = CASE WHEN state = 'new' THEN 'assigned' ELSE state END,
    state_changed_at = CASE WHEN state = 'new' THEN :now ELSE state_changed_at END
WHERE id = :case_id
"""


@dataclass(frozen=True, slots=True)
class OfficerLoad:
    staff_id: int
    name: str
    open_cases: int
    capacity: int

    @property
    def spare(self) -> int:
        return max(self.capacity - self.open_cases, 0)


async def officer_loads(session: AsyncSession) -> list[OfficerLoad]:
    """Every active collector with their open cases and capacity, by id."""
    open_cases = (select(func.count()).where(CollectionCase.assigned_to == StaffUser.id,
                                             CollectionCase.state != CaseState.CLOSED)
                  .scalar_subquery())
    rows = await session.execute(
        select(StaffUser.id, StaffUser.name, open_cases,
               func.coalesce(CollectorCapacity.max_open_cases, DEFAULT_CAPACITY))
        .outerjoin(CollectorCapacity, CollectorCapacity.staff_id == StaffUser.id)
        .where(StaffUser.role == Role.COLLECTOR, StaffUser.active)
        .order_by(StaffUser.id))
    return [OfficerLoad(staff_id=i, name=n, open_cases=o, capacity=c) for i, n, o, c in rows]


async def _collector(session: AsyncSession, staff_id: int) -> StaffUser:
    officer = await session.get(StaffUser, staff_id)
    if officer is None:
        raise NotFoundError(f"There is no staff user {staff_id}.")
    if officer.role is not Role.COLLECTOR or not officer.active:
        raise ValidationError(f"{officer.name} is not an active collections officer.")
    return officer


async def set_capacity(
    session: AsyncSession, *, staff_id: int, max_open_cases: int, actor: str
) -> CollectorCapacity:
    """Set how many open cases an officer may hold (1 to 5,000). Lowering it below what they
    hold now takes nothing away; they get no new case until under it. Audited."""
    if not 1 <= max_open_cases <= MAX_CAPACITY:
        raise ValidationError(f"Capacity must be 1 to {MAX_CAPACITY} open cases.")
    await _collector(session, staff_id)
    row = await session.get(CollectorCapacity, staff_id, with_for_update=True)
    before = row.max_open_cases if row is not None else DEFAULT_CAPACITY
    if row is None:
        row = CollectorCapacity(staff_id=staff_id, max_open_cases=max_open_cases,
                                updated_by=actor)
        session.add(row)
    row.max_open_cases, row.updated_by = max_open_cases, actor
    await session.flush()
    await trail.record(session, actor=actor, action="collections.capacity_set",
                       entity_type="staff_user", entity_id=staff_id,
                       before={"max_open_cases": before},
                       after={"max_open_cases": max_open_cases})
    return row


async def assign_case(
    session: AsyncSession, *, case_id: int, officer_id: int, actor: str, now: dt.datetime
) -> CollectionCase:
    """Give an open case to an officer (a NEW case becomes ASSIGNED; others keep their
    state). Assigning to the officer who holds it already changes nothing.

    Refused, leaving the database unchanged: an officer who is not an active collector
    (`ValidationError`), an officer at capacity or a closed case (`ConflictError`), an
    unknown case or staff user (`NotFoundError`). Audited `collections.case_assigned`."""
    officer = await _collector(session, officer_id)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})
    case = await load_case(session, case_id, lock=True)
    if case.state is CaseState.CLOSED:
        raise ConflictError(f"Case {reference(case)} is closed; it cannot be assigned.")
    if case.assigned_to == officer_id:
        return case
    load = next(x for x in await officer_loads(session) if x.staff_id == officer_id)
    if not load.spare:
        raise ConflictError(f"{officer.name} already holds {load.open_cases} open cases, "
                            f"their capacity of {load.capacity}.")
    before = {"assigned_to": case.assigned_to, "state": case.state}
    await session.execute(text(_ASSIGN), {"officer": officer_id, "now": now, "case_id": case.id})
    case = await load_case(session, case_id)
    await trail.record(session, actor=actor, action="collections.case_assigned",
                       entity_type=ENTITY, entity_id=case.id, before=before,
                       after={"assigned_to": officer_id, "state": case.state})
    return case


@dataclass(frozen=True, slots=True)
class AutoAssignment:
    assigned: tuple[tuple[int, int], ...]
    """(case id, officer id) in the order given."""
    left_unassigned: int


async def auto_assign(
    session: AsyncSession, *, actor: str, now: dt.datetime, bucket: Bucket | None = None,
    limit: int | None = None,
) -> AutoAssignment:
    """Assign unassigned open cases (of one bucket, or all; at most `limit`), most urgent
    first, least-loaded officer first, until every officer is at capacity."""
    if limit is not None and limit < 1:
        raise ValidationError("Assign at least one case.")
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})
    query = (select(CollectionCase.id, CollectionCase.state)
             .where(CollectionCase.state != CaseState.CLOSED,
                    CollectionCase.assigned_to.is_(None))
             .order_by(CollectionCase.priority.desc(), CollectionCase.arrears_amount.desc(),
                       CollectionCase.id)
             .with_for_update(skip_locked=True))
    if bucket is not None:
        query = query.where(CollectionCase.bucket == bucket)
    waiting = (await session.execute(query.limit(limit))).all()
    officers = [(Fraction(x.open_cases, x.capacity), x.open_cases, x.staff_id, x.capacity)
                for x in await officer_loads(session) if x.spare]
    heapq.heapify(officers)
    assigned: list[tuple[int, int]] = []
    audit: list[dict[str, Any]] = []
    for case_id, state in waiting:
        if not officers:
            break
        _, held, officer_id, capacity = heapq.heappop(officers)
        assigned.append((case_id, officer_id))
        after = CaseState.ASSIGNED if state is CaseState.NEW else state
        audit.append({"action": "collections.case_assigned", "entity_type": ENTITY,
                      "entity_id": case_id, "before": {"assigned_to": None, "state": state},
                      "after": {"assigned_to": officer_id, "state": after}})
        if held + 1 < capacity:
            heapq.heappush(officers, (Fraction(held + 1, capacity), held + 1, officer_id,
                                      capacity))
    if assigned:
        await session.execute(text(_ASSIGN), [{"officer": o, "now": now, "case_id": c}
                                              for c, o in assigned])
        await trail.record_many(session, audit, actor=actor)
    return AutoAssignment(assigned=tuple(assigned), left_unassigned=len(waiting) - len(assigned))
