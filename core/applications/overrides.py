"""Maker-checker overrides of the decision engine's declines.

A credit officer proposes to turn an automatic decline into an approval or a counter-offer
(`propose_override`), with a reason and terms quoted from the product and the risk band
exactly as an officer's counter-offer is (`offers.offer_terms`). A second staff member
approves it (`approve_override`), which moves the application DECLINED → APPROVED or
COUNTER_OFFERED through the lifecycle's `OVERRIDE_TRANSITIONS`, or rejects it
(`reject_override`). Who may propose and who may check is the web layer's permission
matrix (`applications.decide`, `applications.override`); these services add the rules that
hold whoever calls: only an engine decline qualifies, one pending proposal per application,
never the proposer's own approval, never a stale proposal. Every refusal raises before
anything is written; every change is audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.decisions import OFFER_VALID_DAYS
from core.applications.lifecycle import Status, describe
from core.applications.models import Application
from core.applications.offers import offer_terms
from core.applications.override_models import DeclineOverride, OverrideStatus
from core.applications.override_queries import ENTITY, load_override, staff_name, stale, view
from core.applications.repository import check_time, json_safe, load_application, move
from core.audit import trail
from core.errors import ConflictError, InvalidTransition, PermissionDenied, ValidationError
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.models import LoanProduct
from core.products.spec import BANDS
from core.scoring.models import CreditDecision, DecisionOutcome
from core.staff.models import StaffUser

OUTCOMES: Final = (Status.APPROVED, Status.COUNTER_OFFERED)
"""What an override may turn a decline into."""
MAX_TEXT: Final = 1000


def _text(value: str, missing: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationError(missing)
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"Keep it to {MAX_TEXT} characters.")
    return cleaned


def _outcome(value: Status | str) -> Status:
    if isinstance(value, str) and value in {o.value for o in OUTCOMES}:
        return Status(value)
    shown = repr(str(value)) if isinstance(value, str) else repr(value)
    raise ValidationError(f"{shown} cannot override a decline; use approved or "
                          "counter_offered.")


async def _staff(session: AsyncSession, staff_id: int) -> StaffUser:
    staff = await session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise PermissionDenied(f"Staff user {staff_id} does not exist or is not active.")
    return staff


async def engine_decline(session: AsyncSession, application: Application) -> CreditDecision:
    """The decision engine's decline of `application`, which an override may replace.

    Raises InvalidTransition unless the application is DECLINED, ConflictError when it was
    declined by anyone but the engine (a staff member, a seeded or imported decision).
    """
    reference = application.reference
    if application.status is not Status.DECLINED:
        raise InvalidTransition(f"Application {reference} {describe(application.status)}; "
                                "only a declined application can be overridden.")
    trace = application.decision_trace or {}
    if trace.get("staff_override"):
        raise ConflictError(f"Application {reference} was declined by a staff member, not by "
                            "the decision engine; only an automatic decline can be overridden.")
    decision_id = trace.get("credit_decision_id")
    decision = (await session.get(CreditDecision, decision_id)
                if isinstance(decision_id, int) else None)
    if (decision is None or decision.application_id != application.id
            or decision.outcome is not DecisionOutcome.DECLINE):
        raise ConflictError(f"Application {reference} has no decline by the decision engine on "
                            "record; only an automatic decline can be overridden.")
    return decision


async def _terms(
    session: AsyncSession, application: Application, outcome: Status, *, band: str,
    amount: Money | None, term: int | None, rate: Decimal | None, today: dt.date,
) -> LoanTerms:
    if outcome is Status.COUNTER_OFFERED and amount is None and term is None and rate is None:
        raise ValidationError("A counter-offer must change the amount, the term or the rate.")
    if amount is not None and not isinstance(amount, Money):
        raise ValidationError("The amount must be money in the application's currency.")
    product = await session.get_one(LoanProduct, application.product_id)
    return offer_terms(
        product, band=band, rate=rate, start_date=today,
        amount=amount or Money.of(application.requested_amount, application.currency),
        term=application.requested_term if term is None else term,
    )


async def propose_override(
    session: AsyncSession, *, application_id: int, staff_id: int, outcome: Status | str,
    reason: str, now: dt.datetime, risk_band: str | None = None,
    offered_amount: Money | None = None, offered_term: int | None = None,
    offered_rate: Decimal | None = None,
) -> DeclineOverride:
    """Propose turning the engine's decline of an application into an offer; PENDING until
    a second staff member approves or rejects it.

    The offer is quoted now, as `record_staff_decision` quotes one: the requested amount and
    term unless `offered_*` say otherwise, at the band's rate unless `offered_rate` is
    given, for `risk_band` (default: the band the engine found); a counter-offer must change
    at least one of them. Refused, writing nothing: ValidationError for a missing reason, an
    outcome other than approved or counter_offered, or terms outside the product or band;
    PermissionDenied for an unknown or inactive staff member; NotFoundError for an unknown
    application; InvalidTransition for one not declined; ConflictError for a decline not made
    by the engine or an application that already has a pending proposal.
    """
    check_time(now)
    cleaned = _text(reason, "Give the reason for overriding the decline.")
    decided = _outcome(outcome)
    maker = await _staff(session, staff_id)
    application = await load_application(session, application_id, for_update=True)
    decision = await engine_decline(session, application)
    pending = await session.scalar(select(DeclineOverride).where(
        DeclineOverride.application_id == application.id,
        DeclineOverride.status == OverrideStatus.PENDING))
    if pending is not None:
        who = await staff_name(session, pending.proposed_by_staff_id)
        raise ConflictError(f"Application {application.reference} already has an override "
                            f"waiting for approval (proposal {pending.id} by {who}); approve "
                            "or reject it first.")
    band = (risk_band or application.risk_band or "").strip().upper()
    if band not in BANDS:
        raise ValidationError("An offer needs the risk band it is priced for; use A to E.")
    terms = await _terms(session, application, decided, band=band, amount=offered_amount,
                         term=offered_term, rate=offered_rate, today=now.date())
    proposal = DeclineOverride(
        application_id=application.id, credit_decision_id=decision.id,
        application_changed_at=application.status_changed_at, status=OverrideStatus.PENDING,
        outcome=decided, risk_band=band, currency=application.currency,
        offered_amount=terms.principal.amount, offered_term=terms.term,
        offered_rate=terms.annual_rate, reason=cleaned, proposed_by_staff_id=maker.id,
        proposed_at=now,
    )
    session.add(proposal)
    await session.flush()
    await trail.record(session, actor=f"staff:{maker.id}", action="decline_override.proposed",
                       entity_type=ENTITY, entity_id=proposal.id, after=view(proposal))
    return proposal


async def _pending(session: AsyncSession, override_id: int, doing: str) -> DeclineOverride:
    proposal = await load_override(session, override_id, lock=True)
    if proposal.status is not OverrideStatus.PENDING:
        raise InvalidTransition(f"Override {proposal.id} is already {proposal.status.value}; "
                                f"it cannot be {doing}.")
    return proposal


async def approve_override(
    session: AsyncSession, *, override_id: int, staff_id: int, now: dt.datetime,
    note: str | None = None,
) -> DeclineOverride:
    """Approve a PENDING override as the second person: the application moves DECLINED →
    APPROVED or COUNTER_OFFERED with the proposal's terms, open for `OFFER_VALID_DAYS`.

    The application's new decision trace is `{"override": true, "decline_override_id",
    "reason", "proposed_by", "proposed_at", "approved_by", "approved_at", "note", "engine":
    <the engine's decision trace>}`; the engine's `credit_decisions` row is left as it was.
    Refused, writing nothing: PermissionDenied for the proposer themself or an unknown or
    inactive staff member; InvalidTransition for a proposal no longer pending; ConflictError
    when the application changed since the proposal; ValidationError when the product no
    longer offers the terms; NotFoundError.
    """
    check_time(now)
    cleaned = None if note is None or not note.strip() else _text(note, "")
    proposal = await _pending(session, override_id, "approved")
    checker = await _staff(session, staff_id)
    if checker.id == proposal.proposed_by_staff_id:
        raise PermissionDenied("You proposed this override; a second person must approve it.")
    application = await load_application(session, proposal.application_id, for_update=True)
    if stale(proposal, application):
        raise ConflictError(f"Application {application.reference} has changed since override "
                            f"{proposal.id} was proposed; reject it and propose again if it "
                            "still applies.")
    today = now.date()
    terms = await _terms(
        session, application, proposal.outcome, band=proposal.risk_band,
        amount=Money.of(proposal.offered_amount, proposal.currency),
        term=proposal.offered_term, rate=proposal.offered_rate, today=today)
    actor = f"staff:{checker.id}"
    trace: dict[str, Any] = {
        "override": True, "decline_override_id": proposal.id, "reason": proposal.reason,
        "proposed_by": f"staff:{proposal.proposed_by_staff_id}",
        "proposed_at": proposal.proposed_at.isoformat(), "approved_by": actor,
        "approved_at": now.isoformat(), "note": cleaned, "engine": application.decision_trace,
    }
    await move(session, application, proposal.outcome, actor=actor, now=now, override=True,
               changes={
                   "decision_outcome": proposal.outcome, "decision_trace": json_safe(trace),
                   "decided_by": actor, "risk_band": proposal.risk_band,
                   "offered_amount": terms.principal.amount, "offered_term": terms.term,
                   "offered_rate": terms.annual_rate,
                   "expires_on": today + dt.timedelta(days=OFFER_VALID_DAYS)})
    return await _close(session, proposal, OverrideStatus.APPROVED, actor=actor,
                        checker=checker, now=now, note=cleaned)


async def reject_override(
    session: AsyncSession, *, override_id: int, staff_id: int, reason: str, now: dt.datetime,
) -> DeclineOverride:
    """Reject a PENDING override (the application stays declined). The proposer may reject,
    that is withdraw, their own. Refused, writing nothing: ValidationError for a missing
    reason, PermissionDenied for an unknown or inactive staff member, InvalidTransition for a
    proposal no longer pending, NotFoundError.
    """
    check_time(now)
    cleaned = _text(reason, "Give the reason for rejecting the override.")
    proposal = await _pending(session, override_id, "rejected")
    checker = await _staff(session, staff_id)
    return await _close(session, proposal, OverrideStatus.REJECTED,
                        actor=f"staff:{checker.id}", checker=checker, now=now, note=cleaned)


async def _close(
    session: AsyncSession, proposal: DeclineOverride, status: OverrideStatus, *, actor: str,
    checker: StaffUser, now: dt.datetime, note: str | None,
) -> DeclineOverride:
    before = view(proposal)
    proposal.status, proposal.checked_by_staff_id = status, checker.id
    proposal.checked_at, proposal.check_note = now, note
    await session.flush()
    await trail.record(session, actor=actor, action=f"decline_override.{status.value}",
                       entity_type=ENTITY, entity_id=proposal.id, before=before,
                       after=view(proposal))
    return proposal
