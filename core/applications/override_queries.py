"""Reading decline overrides: one by id, the queue with what a checker needs to see, the
engine's declines an officer may propose to override, and the audit view of a proposal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import Status
from core.applications.models import Application
from core.applications.override_models import DeclineOverride, OverrideStatus
from core.customers.models import Customer
from core.errors import NotFoundError
from core.staff.models import StaffUser

ENTITY: Final = "decline_override"
"""The audit trail's entity type for decline overrides."""


def view(proposal: DeclineOverride) -> dict[str, object]:
    """The proposal as recorded in the audit trail."""
    return {"status": proposal.status, "application_id": proposal.application_id,
            "credit_decision_id": proposal.credit_decision_id, "outcome": proposal.outcome,
            "risk_band": proposal.risk_band, "offered_amount": proposal.offered_amount,
            "offered_term": proposal.offered_term, "offered_rate": proposal.offered_rate,
            "reason": proposal.reason, "proposed_by": proposal.proposed_by_staff_id,
            "checked_by": proposal.checked_by_staff_id, "check_note": proposal.check_note}


async def load_override(session: AsyncSession, override_id: int, *, lock: bool = False
                        ) -> DeclineOverride:
    """The proposal (locked for this transaction when `lock`); NotFoundError when none."""
    query = select(DeclineOverride).where(DeclineOverride.id == override_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    proposal = await session.scalar(query)
    if proposal is None:
        raise NotFoundError(f"There is no decline override {override_id}.")
    return proposal


def stale(proposal: DeclineOverride, application: Application) -> bool:
    """Whether the application moved on since `proposal` was made (it can then not be
    approved)."""
    trace = application.decision_trace or {}
    return (application.status is not Status.DECLINED
            or application.status_changed_at != proposal.application_changed_at
            or trace.get("credit_decision_id") != proposal.credit_decision_id)


async def staff_name(session: AsyncSession, staff_id: int) -> str:
    staff = await session.get(StaffUser, staff_id)
    return staff.name if staff is not None else f"staff user {staff_id}"


@dataclass(frozen=True, slots=True)
class OverrideEntry:
    """A proposal with its application, customer and the names of the people involved;
    `stale` when the application changed since it was proposed."""

    proposal: DeclineOverride
    application: Application
    customer: Customer
    proposed_by: str
    checked_by: str | None
    stale: bool


def _entries_query() -> Select[DeclineOverride, Application, Customer]:
    return (select(DeclineOverride, Application, Customer)
            .join(Application, Application.id == DeclineOverride.application_id)
            .join(Customer, Customer.id == Application.customer_id))


async def _entries(session: AsyncSession,
                   query: Select[DeclineOverride, Application, Customer]
                   ) -> list[OverrideEntry]:
    rows = (await session.execute(query)).all()
    wanted = {r[0].proposed_by_staff_id for r in rows} | {
        r[0].checked_by_staff_id for r in rows if r[0].checked_by_staff_id is not None}
    people = {p.id: p.name for p in await session.scalars(
        select(StaffUser).where(StaffUser.id.in_(wanted)))}
    return [OverrideEntry(
        proposal=proposal, application=application, customer=customer,
        proposed_by=people.get(proposal.proposed_by_staff_id, "?"),
        checked_by=(None if proposal.checked_by_staff_id is None
                    else people.get(proposal.checked_by_staff_id, "?")),
        stale=proposal.status is OverrideStatus.PENDING and stale(proposal, application),
    ) for proposal, application, customer in rows]


async def list_overrides(
    session: AsyncSession, *, status: OverrideStatus | None = OverrideStatus.PENDING,
    application_id: int | None = None, limit: int = 200,
) -> list[OverrideEntry]:
    """Proposals (by default the pending ones), oldest first: the longest waiting on top."""
    query = _entries_query().order_by(DeclineOverride.id).limit(limit)
    if status is not None:
        query = query.where(DeclineOverride.status == status)
    if application_id is not None:
        query = query.where(DeclineOverride.application_id == application_id)
    return await _entries(session, query)


async def override_entry(session: AsyncSession, override_id: int) -> OverrideEntry:
    """One proposal as the queue shows it; NotFoundError when none."""
    found = await _entries(session, _entries_query().where(DeclineOverride.id == override_id))
    if not found:
        raise NotFoundError(f"There is no decline override {override_id}.")
    return found[0]


@dataclass(frozen=True, slots=True)
class DeclinedEntry:
    """An application the engine declined, its pending override proposal if any and who
    proposed it."""

    application: Application
    customer: Customer
    pending: DeclineOverride | None
    proposed_by: str | None


async def engine_declines(
    session: AsyncSession, *, since: dt.datetime, limit: int = 100
) -> Sequence[DeclinedEntry]:
    """Applications the decision engine declined since `since`, newest first, with any
    pending proposal. A staff member's decline (its trace is marked `staff_override`) or a
    decision without an engine decision behind it is left out."""
    query = (select(Application, Customer)
             .join(Customer, Customer.id == Application.customer_id)
             .where(Application.status == Status.DECLINED, Application.decided_at >= since,
                    Application.decision_trace.has_key("credit_decision_id"),
                    ~Application.decision_trace.has_key("staff_override"))
             .order_by(Application.decided_at.desc(), Application.id.desc()).limit(limit))
    rows = (await session.execute(query)).all()
    pending = {p.application_id: p for p in await session.scalars(select(DeclineOverride).where(
        DeclineOverride.status == OverrideStatus.PENDING,
        DeclineOverride.application_id.in_([a.id for a, _ in rows])))}
    people = {p.id: p.name for p in await session.scalars(select(StaffUser).where(
        StaffUser.id.in_({p.proposed_by_staff_id for p in pending.values()})))}
    entries = []
    for application, customer in rows:
        proposal = pending.get(application.id)
        entries.append(DeclinedEntry(
            application, customer, proposal,
            None if proposal is None else people.get(proposal.proposed_by_staff_id, "?")))
    return entries
