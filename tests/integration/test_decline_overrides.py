"""Maker-checker overrides of the engine's declines, on the demo lender.

The applicant (tests/integration/decisioning_support.py) asks for TTD 20,000.00 over 24
months of the Personal Loan; a court judgment on their bureau file makes the engine decline
them in band B, where the product lends up to TTD 120,000.00 at 14.5% a year over 12 to 60
months. A credit officer proposes an override, a supervisor checks it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.decisions import accept_offer, record_decision, record_staff_decision
from core.applications.lifecycle import (
    Status,
    can_transition,
    check_override_transition,
    check_transition,
)
from core.applications.models import Application
from core.applications.override_models import DeclineOverride, OverrideStatus
from core.applications.override_queries import engine_declines, list_overrides, override_entry
from core.applications.overrides import approve_override, propose_override, reject_override
from core.applications.repository import status_history
from core.applications.service import withdraw_application
from core.audit import trail
from core.errors import (
    ConflictError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from core.money import Money
from core.scoring.engine import decide_application
from core.scoring.models import CreditDecision
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from tests.integration.decisioning_support import ACTOR, NOW, FixedBureau, applicant, demo_lender

DECIDED = NOW + dt.timedelta(hours=2)
PROPOSED = NOW + dt.timedelta(days=1)
CHECKED = PROPOSED + dt.timedelta(hours=3)
PASSWORD = "override-password-1"


async def person(session: AsyncSession, name: str, role: Role) -> StaffUser:
    return await create_staff(session, email=f"{name}@override.example", name=name.title(),
                              role=role, password=PASSWORD, actor="test")


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, StaffUser]:
    return {name: await person(session, name, role) for name, role in (
        ("officer", Role.UNDERWRITER), ("officer2", Role.UNDERWRITER),
        ("supervisor", Role.SUPERVISOR), ("admin", Role.ADMIN))}


async def engine_declined(session: AsyncSession) -> Application:
    app = await applicant(session)
    await decide_application(session, application_id=app.id, now=DECIDED, actor="engine",
                             bureau=FixedBureau(judgments=1))
    assert (app.status, app.risk_band) == (Status.DECLINED, "B")
    return app


@pytest.fixture
async def declined(session: AsyncSession) -> Application:
    await demo_lender(session)
    return await engine_declined(session)


async def state(session: AsyncSession, application_id: int) -> tuple[Any, ...]:
    """Everything an override could change: the application, the proposals, the audit trail
    and the engine's decisions."""
    application = (await session.execute(text(
        "SELECT status, decision_outcome, decision_trace, decided_by, offered_amount, "
        "offered_term, offered_rate, expires_on, status_changed_at FROM applications "
        "WHERE id = :id"), {"id": application_id})).one()
    proposals = (await session.execute(text(
        "SELECT id, status, checked_by_staff_id, check_note FROM decline_overrides "
        "ORDER BY id"))).all()
    counts = [await session.scalar(text(f"SELECT count(*) FROM {table}"))
              for table in ("audit_events", "credit_decisions")]
    return tuple(application), tuple(map(tuple, proposals)), tuple(counts)


async def test_a_counter_offer_override_is_proposed_checked_and_made(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    engine_trace = dict(declined.decision_trace or {})
    proposal = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="counter_offered", reason="Judgment  paid off; court\nreceipt on file",
        offered_amount=Money.of("15000"), offered_term=36, now=PROPOSED)
    assert (proposal.status, proposal.outcome, proposal.risk_band, proposal.offered_amount,
            proposal.offered_term, proposal.offered_rate, proposal.reason) == (
        OverrideStatus.PENDING, Status.COUNTER_OFFERED, "B", D("15000.00"), 36,
        D("0.14500000"), "Judgment paid off; court receipt on file")
    assert proposal.credit_decision_id == engine_trace["credit_decision_id"]
    assert declined.status is Status.DECLINED
    [queued] = await list_overrides(session)
    assert (queued.proposal.id, queued.proposed_by, queued.stale) == (proposal.id, "Officer",
                                                                      False)

    approved = await approve_override(session, override_id=proposal.id,
                                      staff_id=people["supervisor"].id, now=CHECKED,
                                      note="Receipt checked")
    supervisor = f"staff:{people['supervisor'].id}"
    assert (approved.status, approved.checked_by_staff_id, approved.check_note) == (
        OverrideStatus.APPROVED, people["supervisor"].id, "Receipt checked")
    assert (declined.status, declined.decision_outcome, declined.offered_amount,
            declined.offered_term, declined.offered_rate, declined.risk_band,
            declined.decided_by, declined.decided_at, declined.expires_on) == (
        Status.COUNTER_OFFERED, Status.COUNTER_OFFERED, D("15000.00"), 36, D("0.14500000"),
        "B", supervisor, CHECKED, dt.date(2025, 7, 3))
    trace = dict(declined.decision_trace or {})
    assert dt.datetime.fromisoformat(trace.pop("proposed_at")) == PROPOSED
    assert trace == {
        "override": True, "decline_override_id": proposal.id,
        "reason": "Judgment paid off; court receipt on file",
        "proposed_by": f"staff:{people['officer'].id}", "approved_by": supervisor,
        "approved_at": CHECKED.isoformat(), "note": "Receipt checked", "engine": engine_trace}
    engine_row = await session.get_one(CreditDecision, engine_trace["credit_decision_id"])
    assert engine_row.outcome.value == "decline"

    events = await trail.history(session, entity_type="decline_override",
                                 entity_id=proposal.id)
    assert [(e.action, e.actor) for e in events] == [
        ("decline_override.proposed", f"staff:{people['officer'].id}"),
        ("decline_override.approved", supervisor)]
    history = await status_history(session, declined.id)
    assert [(h.previous, h.status, h.actor) for h in history[-2:]] == [
        (Status.SUBMITTED, Status.DECLINED, "engine"),
        (Status.DECLINED, Status.COUNTER_OFFERED, supervisor)]
    accepted = await accept_offer(session, application_id=declined.id, actor="customer",
                                  now=CHECKED + dt.timedelta(days=2))
    assert accepted.status is Status.ACCEPTED


async def test_an_approval_override_offers_what_was_asked_at_the_bands_rate(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    proposal = await propose_override(
        session, application_id=declined.id, staff_id=people["supervisor"].id,
        outcome=Status.APPROVED, reason="Judgment is a data error at the bureau", now=PROPOSED)
    await approve_override(session, override_id=proposal.id, staff_id=people["admin"].id,
                           now=CHECKED)
    assert (declined.status, declined.offered_amount, declined.offered_term,
            declined.offered_rate) == (Status.APPROVED, D("20000.00"), 24, D("0.14500000"))
    assert (declined.decision_trace or {})["note"] is None


async def test_a_rejected_proposal_leaves_the_decline_and_allows_another(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    first = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="approved", reason="Long-standing customer", now=PROPOSED)
    before = (await state(session, declined.id))[0]
    rejected = await reject_override(session, override_id=first.id,
                                     staff_id=people["supervisor"].id,
                                     reason="The judgment is recent", now=CHECKED)
    assert (rejected.status, rejected.check_note, rejected.checked_at) == (
        OverrideStatus.REJECTED, "The judgment is recent", CHECKED)
    assert (await state(session, declined.id))[0] == before
    assert await list_overrides(session) == []
    [closed] = await list_overrides(session, status=OverrideStatus.REJECTED)
    assert (closed.checked_by, closed.stale) == ("Supervisor", False)
    second = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="counter_offered", reason="Smaller loan over longer", now=CHECKED,
        offered_amount=Money.of("10000"), offered_term=48)
    withdrawn = await reject_override(session, override_id=second.id,
                                      staff_id=people["officer"].id, reason="Withdrawn",
                                      now=CHECKED)
    assert withdrawn.status is OverrideStatus.REJECTED


async def test_the_lifecycle_allows_the_step_only_through_an_override() -> None:
    assert not can_transition(Status.DECLINED, Status.APPROVED)
    with pytest.raises(InvalidTransition, match="APP-000001 is declined; it cannot be approved"):
        check_transition("APP-000001", Status.DECLINED, Status.APPROVED)
    check_override_transition("APP-000001", Status.DECLINED, Status.APPROVED)
    check_override_transition("APP-000001", Status.DECLINED, Status.COUNTER_OFFERED)
    for current, target in ((Status.DECLINED, Status.ACCEPTED),
                            (Status.WITHDRAWN, Status.APPROVED),
                            (Status.REFERRED, Status.APPROVED)):
        with pytest.raises(InvalidTransition, match="an override can only turn a decline"):
            check_override_transition("APP-000001", current, target)


async def test_only_the_engines_decline_may_be_overridden(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    officer = people["officer"].id

    async def propose(application: Application) -> None:
        await propose_override(session, application_id=application.id, staff_id=officer,
                               outcome="approved", reason="Worth a second look", now=PROPOSED)

    referred = await applicant(session, verified=False)
    await decide_application(session, application_id=referred.id, now=DECIDED, actor="engine",
                             bureau=FixedBureau())
    await record_staff_decision(session, application_id=referred.id, outcome="declined",
                                reason="Could not verify identity", actor=f"staff:{officer}",
                                now=DECIDED)
    seeded = await applicant(session)
    await record_decision(session, application_id=seeded.id, outcome="declined",
                          trace={"source": "import"}, actor=ACTOR, now=DECIDED)
    withdrawn = await applicant(session)
    await withdraw_application(session, application_id=withdrawn.id, actor=ACTOR, now=DECIDED)
    approved = await applicant(session)
    await decide_application(session, application_id=approved.id, now=DECIDED, actor="engine",
                             bureau=FixedBureau())
    before = [await state(session, a.id) for a in (referred, seeded, withdrawn, approved)]
    with pytest.raises(ConflictError, match=f"{referred.reference} was declined by a staff "
                                            "member, not by the decision engine"):
        await propose(referred)
    with pytest.raises(ConflictError, match=f"{seeded.reference} has no decline by the "
                                            "decision engine on record"):
        await propose(seeded)
    with pytest.raises(InvalidTransition, match=f"{withdrawn.reference} is withdrawn; only a "
                                                "declined application can be overridden"):
        await propose(withdrawn)
    with pytest.raises(InvalidTransition, match=f"{approved.reference} is approved; only a "
                                                "declined application can be overridden"):
        await propose(approved)
    assert [await state(session, a.id) for a in (referred, seeded, withdrawn, approved)] == before
    listed = await engine_declines(session, since=NOW)
    assert [entry.application.id for entry in listed] == [declined.id]


async def test_bad_proposals_are_refused_and_change_nothing(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    officer = people["officer"].id
    before = await state(session, declined.id)
    refusals: list[tuple[type[Exception], str, dict[str, Any]]] = [
        (ValidationError, "Give the reason for overriding the decline", {"reason": " \n "}),
        (ValidationError, "Keep it to 1000 characters", {"reason": "x" * 1001}),
        (ValidationError, "'declined' cannot override a decline", {"outcome": "declined"}),
        (ValidationError, "'referred' cannot override a decline", {"outcome": "referred"}),
        (ValidationError, "A counter-offer must change the amount, the term or the rate",
         {"outcome": "counter_offered"}),
        (ValidationError, "Amount TTD 130,000.00 is above the TTD 120,000.00 limit for risk "
                          "band B", {"offered_amount": Money.of("130000")}),
        (ValidationError, "Amount TTD 200,000.00 is above this product's maximum",
         {"offered_amount": Money.of("200000"), "risk_band": "A"}),
        (ValidationError, "Risk band E is not eligible for the Personal Loan",
         {"risk_band": "e"}),
        (ValidationError, "A term of 72 months is outside", {"offered_term": 72}),
        (ValidationError, "charges 12% to 24% a year; 30% is outside that",
         {"offered_rate": D("0.30")}),
        (ValidationError, "lends in TTD, not USD", {"offered_amount": Money.of("9000", "USD")}),
        (ValidationError, "risk band it is priced for; use A to E", {"risk_band": "Z"}),
        (ValidationError, "time zone", {"now": PROPOSED.replace(tzinfo=None)}),
        (PermissionDenied, "does not exist or is not active", {"staff_id": 99_999_999}),
        (NotFoundError, "no application with id 99999999", {"application_id": 99_999_999}),
    ]
    for error, message, changes in refusals:
        arguments: dict[str, Any] = {
            "application_id": declined.id, "staff_id": officer, "outcome": "approved",
            "reason": "Worth a second look", "now": PROPOSED, **changes}
        with pytest.raises(error, match=message):
            await propose_override(session, **arguments)
    assert await state(session, declined.id) == before


async def test_one_pending_proposal_per_application(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    first = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="approved", reason="Long-standing customer", now=PROPOSED)
    before = await state(session, declined.id)
    with pytest.raises(ConflictError, match=f"already has an override waiting for approval "
                                            rf"\(proposal {first.id} by Officer\)"):
        await propose_override(
            session, application_id=declined.id, staff_id=people["officer2"].id,
            outcome="counter_offered", reason="Smaller loan", now=PROPOSED,
            offered_amount=Money.of("10000"))
    assert await state(session, declined.id) == before


async def test_nobody_checks_their_own_and_a_closed_proposal_stays_closed(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    proposal = await propose_override(
        session, application_id=declined.id, staff_id=people["supervisor"].id,
        outcome="approved", reason="Bureau error", now=PROPOSED)
    before = await state(session, declined.id)
    with pytest.raises(PermissionDenied, match="You proposed this override; a second person "
                                               "must approve it"):
        await approve_override(session, override_id=proposal.id,
                               staff_id=people["supervisor"].id, now=CHECKED)
    with pytest.raises(ValidationError, match="Give the reason for rejecting the override"):
        await reject_override(session, override_id=proposal.id, staff_id=people["admin"].id,
                              reason="  ", now=CHECKED)
    with pytest.raises(NotFoundError, match="no decline override 99999999"):
        await approve_override(session, override_id=99_999_999, staff_id=people["admin"].id,
                               now=CHECKED)
    people["admin"].active = False
    await session.flush()
    with pytest.raises(PermissionDenied, match="is not active"):
        await approve_override(session, override_id=proposal.id, staff_id=people["admin"].id,
                               now=CHECKED)
    people["admin"].active = True
    await session.flush()
    assert await state(session, declined.id) == before
    await approve_override(session, override_id=proposal.id, staff_id=people["admin"].id,
                           now=CHECKED)
    after = await state(session, declined.id)
    with pytest.raises(InvalidTransition, match=f"Override {proposal.id} is already approved; "
                                                "it cannot be approved"):
        await approve_override(session, override_id=proposal.id,
                               staff_id=people["officer2"].id, now=CHECKED)
    with pytest.raises(InvalidTransition, match="is already approved; it cannot be rejected"):
        await reject_override(session, override_id=proposal.id, staff_id=people["admin"].id,
                              reason="Too late", now=CHECKED)
    assert await state(session, declined.id) == after


async def test_a_stale_proposal_is_refused(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    proposal = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="approved", reason="Bureau error", now=PROPOSED)
    # Nothing in Lendline moves a declined application on its own; a correction made
    # directly in the database (a re-run after a data fix) is the case this guards.
    await session.execute(text("UPDATE applications SET status_changed_at = "
                               "status_changed_at + interval '1 minute' WHERE id = :id"),
                          {"id": declined.id})
    await session.refresh(declined)
    before = await state(session, declined.id)
    [entry] = await list_overrides(session)
    assert entry.stale is True
    with pytest.raises(ConflictError, match=f"{declined.reference} has changed since override "
                                            f"{proposal.id} was proposed"):
        await approve_override(session, override_id=proposal.id,
                               staff_id=people["supervisor"].id, now=CHECKED)
    assert await state(session, declined.id) == before
    rejected = await reject_override(session, override_id=proposal.id,
                                     staff_id=people["supervisor"].id, reason="Stale",
                                     now=CHECKED)
    assert rejected.status is OverrideStatus.REJECTED
    assert (await override_entry(session, proposal.id)).stale is False


async def test_the_database_refuses_a_self_approved_override(
    session: AsyncSession, declined: Application, people: dict[str, StaffUser],
) -> None:
    proposal = await propose_override(
        session, application_id=declined.id, staff_id=people["officer"].id,
        outcome="approved", reason="Bureau error", now=PROPOSED)
    with pytest.raises(Exception, match="ck_decline_overrides_four_eyes"):
        async with session.begin_nested():
            await session.execute(text(
                "UPDATE decline_overrides SET status = 'approved', checked_at = now(), "
                "checked_by_staff_id = proposed_by_staff_id WHERE id = :id"),
                {"id": proposal.id})
    with pytest.raises(Exception, match="uq_decline_overrides_pending_application"):
        async with session.begin_nested():
            await session.execute(text(
                "INSERT INTO decline_overrides (application_id, credit_decision_id, "
                "application_changed_at, status, outcome, risk_band, currency, offered_amount, "
                "offered_term, offered_rate, reason, proposed_by_staff_id, proposed_at) "
                "SELECT application_id, credit_decision_id, application_changed_at, status, "
                "outcome, risk_band, currency, offered_amount, offered_term, offered_rate, "
                "reason, proposed_by_staff_id, proposed_at FROM decline_overrides "
                "WHERE id = :id"), {"id": proposal.id})
    assert (await session.get_one(DeclineOverride, proposal.id)).status is OverrideStatus.PENDING
