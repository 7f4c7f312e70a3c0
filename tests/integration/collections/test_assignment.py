"""Assigning cases to collectors within their capacity, by hand and least-loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.assignment import (
    DEFAULT_CAPACITY,
    assign_case,
    auto_assign,
    officer_loads,
    set_capacity,
)
from core.collections.cases import list_cases, load_case, transition_case
from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState
from core.errors import ConflictError, NotFoundError, ValidationError
from core.staff.models import Role
from tests.integration.collections.helpers import (
    ACTOR,
    actions,
    collector,
    counts,
    month_end_loans,
)

NOW = dt.datetime(2024, 2, 12, 14, 0, tzinfo=dt.UTC)


async def cases_for(session: AsyncSession, count: int) -> list[int]:
    await month_end_loans(session, count)
    await run_delinquency(session, as_of=dt.date(2024, 2, 10), actor=ACTOR)
    return [case.id for case in await list_cases(session)]


async def test_assignment_respects_capacity(session: AsyncSession) -> None:
    first, second, third = await cases_for(session, 3)
    dana = await collector(session, "Dana Officer")
    await set_capacity(session, staff_id=dana.id, max_open_cases=2, actor=ACTOR)
    assigned = await assign_case(session, case_id=first, officer_id=dana.id, actor=ACTOR,
                                 now=NOW)
    assert (assigned.assigned_to, assigned.state, assigned.assigned_at) == (
        dana.id, CaseState.ASSIGNED, NOW)
    again = await assign_case(session, case_id=first, officer_id=dana.id, actor=ACTOR, now=NOW)
    assert again.assigned_to == dana.id  # no change, no second event
    await assign_case(session, case_id=second, officer_id=dana.id, actor=ACTOR, now=NOW)
    before = await counts(session)
    with pytest.raises(ConflictError) as full:
        await assign_case(session, case_id=third, officer_id=dana.id, actor=ACTOR, now=NOW)
    assert full.value.message == "Dana Officer already holds 2 open cases, their capacity of 2."
    assert await counts(session) == before
    assert (await load_case(session, third)).assigned_to is None
    assert await actions(session, "collection_case", first) == [
        "collections.case_opened", "collections.case_assigned"]
    (load,) = await officer_loads(session)
    assert (load.open_cases, load.capacity, load.spare) == (2, 2, 0)


async def test_only_active_collectors_take_cases(session: AsyncSession) -> None:
    (case_id,) = await cases_for(session, 1)
    boss = await collector(session, "Sam Supervisor", role=Role.SUPERVISOR)
    gone = await collector(session, "Former Officer")
    gone.active = False
    before = await counts(session)
    for officer_id, error, message in [
        (boss.id, ValidationError, "Sam Supervisor is not an active collections officer."),
        (gone.id, ValidationError, "Former Officer is not an active collections officer."),
        (0, NotFoundError, "There is no staff user 0."),
    ]:
        with pytest.raises(error) as raised:
            await assign_case(session, case_id=case_id, officer_id=officer_id, actor=ACTOR,
                              now=NOW)
        assert raised.value.message == message
    with pytest.raises(ValidationError, match="Capacity must be 1 to 5000 open cases"):
        await set_capacity(session, staff_id=gone.id, max_open_cases=0, actor=ACTOR)
    assert await counts(session) == before


async def test_a_closed_case_cannot_be_assigned(session: AsyncSession) -> None:
    (case_id,) = await cases_for(session, 1)
    dana = await collector(session, "Dana Officer")
    for target in (CaseState.DISPUTED, CaseState.IN_CONTACT, CaseState.NEGOTIATING,
                   CaseState.SETTLED, CaseState.CLOSED):
        await transition_case(session, case_id=case_id, target=target, actor=ACTOR, now=NOW,
                              reason="queried")
    with pytest.raises(ConflictError, match="is closed; it cannot be assigned"):
        await assign_case(session, case_id=case_id, officer_id=dana.id, actor=ACTOR, now=NOW)


async def test_auto_assignment_is_least_loaded_within_capacity(session: AsyncSession) -> None:
    """Seven cases; Ann (capacity 4) already holds one, Ben (capacity 2) none: shares of
    capacity decide, ties go to fewer cases (then the lower id), and one case is left over."""
    ids = await cases_for(session, 7)
    ann = await collector(session, "Ann Officer")
    ben = await collector(session, "Ben Officer")
    await set_capacity(session, staff_id=ann.id, max_open_cases=4, actor=ACTOR)
    await set_capacity(session, staff_id=ben.id, max_open_cases=2, actor=ACTOR)
    await assign_case(session, case_id=ids[-1], officer_id=ann.id, actor=ACTOR, now=NOW)
    result = await auto_assign(session, actor=ACTOR, now=NOW)
    # Ann 1/4 vs Ben 0/2: Ben; Ann 1/4 vs Ben 1/2: Ann; Ann 2/4 vs Ben 1/2: equal shares,
    # Ben holds fewer cases: Ben, now full; then only Ann has room: Ann, Ann.
    assert [officer for _, officer in result.assigned] == [ben.id, ann.id, ben.id, ann.id,
                                                           ann.id]
    assert [case for case, _ in result.assigned] == ids[:5]
    assert result.left_unassigned == 1
    loads = {x.staff_id: (x.open_cases, x.capacity) for x in await officer_loads(session)}
    assert loads == {ann.id: (4, 4), ben.id: (2, 2)}
    assert (await load_case(session, ids[0])).state is CaseState.ASSIGNED
    assert await actions(session, "collection_case", ids[0]) == [
        "collections.case_opened", "collections.case_assigned"]
    nothing = await auto_assign(session, actor=ACTOR, now=NOW)
    assert (nothing.assigned, nothing.left_unassigned) == ((), 1)


async def test_default_capacity(session: AsyncSession) -> None:
    officer = await collector(session, "Dana Officer")
    (load,) = await officer_loads(session)
    assert (load.staff_id, load.capacity) == (officer.id, DEFAULT_CAPACITY)
