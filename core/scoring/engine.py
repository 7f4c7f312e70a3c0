"""The decision engine: gather, route, score, apply every rule, decide, store the trace.

`decide_applications` decides SUBMITTED applications: it gathers their facts in bulk, routes
each applicant to a scorecard (champion/challenger), decides (`core.scoring.assess`),
scores the shadow scorecards for the trace, stores one `CreditDecision` per application (the
complete trace) and records the outcome on the application through
`core.applications.decisions.record_decisions` with the trace's summary (outcome, reasons,
versions, fired rules and the decision row's id), all in the caller's transaction. Every
application is checked before anything is written: one that is not SUBMITTED makes the
whole call fail with InvalidTransition and write nothing. Writing a batch takes a fixed
handful of statements whatever its size: the decision rows in one multi-row INSERT, then
`record_decisions`' locking select, UPDATEs (one per set of changed fields) and audit INSERT.

`evaluate_application` runs the same steps without writing (what-if, reproducibility).
The same inputs with the same versions always give the same decision and trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.decisions import DecisionRecord, record_decisions
from core.applications.lifecycle import Status, describe
from core.applications.models import Application
from core.applications.repository import check_time
from core.errors import InvalidTransition, NotFoundError, ValidationError
from core.scoring import rulesets, scorecards
from core.scoring.assess import Decision, decide
from core.scoring.bureau import BureauReport, CreditBureau
from core.scoring.derive import Applicant
from core.scoring.gather import gather
from core.scoring.models import CreditDecision, DecisionOutcome, RoutingConfig, RuleSet, Scorecard
from core.scoring.routing import Arm, ArmRole, check_arms, live_routing, route
from core.scoring.rules import CompiledRule
from core.scoring.scoring import CompiledScorecard
from core.scoring.trace import build_trace, summary

MAX_BATCH: Final = 1000
STATUS: Final = {DecisionOutcome.APPROVE: Status.APPROVED, DecisionOutcome.DECLINE: Status.DECLINED,
                 DecisionOutcome.REFER: Status.REFERRED,
                 DecisionOutcome.COUNTER_OFFER: Status.COUNTER_OFFERED}


@dataclass(frozen=True, slots=True)
class Setup:
    """The live configuration, loaded once for a batch."""

    routing: RoutingConfig
    arms: tuple[Arm, ...]
    rule_set: RuleSet
    rules: tuple[CompiledRule, ...]
    cards: Mapping[int, tuple[Scorecard, CompiledScorecard]]


@dataclass(frozen=True, slots=True)
class Evaluation:
    applicant: Applicant
    decision: Decision
    scorecard: Scorecard
    trace: dict[str, Any]


def card_ref(row: Scorecard) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "version": row.version}


async def load_setup(session: AsyncSession) -> Setup:
    """The live routing, its rule set and every scorecard it names, compiled."""
    routing = await live_routing(session)
    arms = check_arms(routing.arms)
    rule_set = await rulesets.active_rule_set(session, code=routing.rule_set_code)
    rows = {row.id: row for row in await session.scalars(
        select(Scorecard).where(Scorecard.id.in_([arm.scorecard_id for arm in arms])))}
    missing = [arm.scorecard_id for arm in arms if arm.scorecard_id not in rows]
    if missing:
        raise NotFoundError(f"The routing names scorecard {missing[0]}, which does not exist.")
    cards = {i: (row, scorecards.compiled(row)) for i, row in rows.items()}
    return Setup(routing, arms, rule_set, rulesets.compiled(rule_set), cards)


def evaluate(
    setup: Setup, applicant: Applicant, report: BureauReport | None, *, bureau_name: str,
    decided_at: dt.datetime,
) -> Evaluation:
    """Route, decide and trace one applicant (pure: no database)."""
    arm = route(setup.arms, setup.routing.salt, applicant.customer_id)
    row, card = setup.cards[arm.scorecard_id]
    decision = decide(applicant, card, setup.rules)
    shadows = [(card_ref(setup.cards[a.scorecard_id][0]),
                setup.cards[a.scorecard_id][1].score(decision.assessment.facts))
               for a in setup.arms if a.role is ArmRole.SHADOW]
    versions = {
        "scorecard": card_ref(row),
        "rule_set": {"id": setup.rule_set.id, "code": setup.rule_set.code,
                     "version": setup.rule_set.version},
        "routing": {"version": setup.routing.version, "role": arm.role.value},
    }
    trace = build_trace(applicant, decision, versions=versions, decided_at=decided_at,
                        report=report, bureau_name=bureau_name, shadows=shadows)
    return Evaluation(applicant, decision, row, trace)


async def evaluate_application(
    session: AsyncSession, *, application_id: int, now: dt.datetime, bureau: CreditBureau
) -> Evaluation:
    """What the engine would decide now, without writing anything."""
    check_time(now)
    setup = await load_setup(session)
    found = await gather(session, application_ids=[application_id], now=now, bureau=bureau)
    applicant = found.applicants[0]
    return evaluate(setup, applicant, found.reports[applicant.customer_id],
                    bureau_name=bureau.name, decided_at=now)


def _record(evaluation: Evaluation, now: dt.datetime, actor: str) -> CreditDecision:
    decision = evaluation.decision
    rate = None if decision.offer is None else decision.offer.facts.get("annual_rate")
    return CreditDecision(
        application_id=evaluation.applicant.application_id,
        customer_id=evaluation.applicant.customer_id, decided_at=now,
        outcome=decision.outcome, score=decision.assessment.score.total,
        band=decision.assessment.score.band, scorecard_id=evaluation.scorecard.id,
        rule_set_id=evaluation.trace["versions"]["rule_set"]["id"],
        routing_version=evaluation.trace["versions"]["routing"]["version"],
        inputs_hash=evaluation.trace["inputs_hash"],
        bins={line.fact: line.bin for line in decision.assessment.score.lines},
        reasons=list(decision.reasons), trace=evaluation.trace,
        offered_amount=None if decision.offer is None else decision.offer.amount.amount,
        offered_term=None if decision.offer is None else decision.offer.term,
        offered_rate=rate if isinstance(rate, Decimal) else None,
        actor=actor,
    )


async def _lock_submitted(session: AsyncSession, ids: list[int]) -> None:
    """Lock the applications for this transaction; refuse (before the bureau is asked)
    unless every one exists and is SUBMITTED."""
    found = {row.id: row for row in await session.execute(
        select(Application.id, Application.reference, Application.status)
        .where(Application.id.in_(ids)).order_by(Application.id).with_for_update())}
    for application_id in ids:
        row = found.get(application_id)
        if row is None:
            raise NotFoundError(f"There is no application with id {application_id}.")
        if row.status is not Status.SUBMITTED:
            raise InvalidTransition(f"Application {row.reference} {describe(row.status)}; the "
                                    "engine decides only submitted applications.")


async def decide_applications(
    session: AsyncSession, *, application_ids: Sequence[int], now: dt.datetime, actor: str,
    bureau: CreditBureau,
) -> list[CreditDecision]:
    """Decide SUBMITTED applications (at most `MAX_BATCH`), in the order given.

    Raises ValidationError for an empty, repeated or too long list, NotFoundError for an
    unknown id, InvalidTransition when one is not SUBMITTED, ConflictError when
    decisioning is not set up; in each case nothing is written.
    """
    check_time(now)
    ids = list(application_ids)
    if not ids or len(ids) > MAX_BATCH or len(set(ids)) != len(ids):
        raise ValidationError(f"Give 1 to {MAX_BATCH} different application ids.")
    setup = await load_setup(session)
    await _lock_submitted(session, ids)
    found = await gather(session, application_ids=ids, now=now, bureau=bureau)
    evaluations = [evaluate(setup, a, found.reports[a.customer_id], bureau_name=bureau.name,
                            decided_at=now) for a in found.applicants]
    rows = [_record(e, now, actor) for e in evaluations]
    session.add_all(rows)
    await session.flush()
    await record_decisions(session, decisions=[
        _outcome_of(evaluation, row) for evaluation, row in zip(evaluations, rows, strict=True)
    ], actor=actor, now=now)
    return rows


def _outcome_of(evaluation: Evaluation, row: CreditDecision) -> DecisionRecord:
    """What the application records of a stored decision."""
    decision = evaluation.decision
    counter = decision.offer if decision.outcome is DecisionOutcome.COUNTER_OFFER else None
    return DecisionRecord(
        application_id=row.application_id, outcome=STATUS[decision.outcome],
        trace=summary(evaluation.trace, row.id), risk_band=row.band,
        offered_amount=None if counter is None else counter.amount,
        offered_term=None if counter is None else counter.term)


async def decide_application(
    session: AsyncSession, *, application_id: int, now: dt.datetime, actor: str,
    bureau: CreditBureau,
) -> CreditDecision:
    """Decide one SUBMITTED application (see `decide_applications`)."""
    return (await decide_applications(session, application_ids=[application_id], now=now,
                                      actor=actor, bureau=bureau))[0]


async def decisions_for(session: AsyncSession, *, application_id: int) -> Sequence[CreditDecision]:
    """The engine's decisions on one application, oldest first."""
    rows = await session.scalars(select(CreditDecision).where(
        CreditDecision.application_id == application_id).order_by(CreditDecision.id))
    return rows.all()


async def get_decision(session: AsyncSession, *, decision_id: int) -> CreditDecision:
    row = await session.get(CreditDecision, decision_id)
    if row is None:
        raise NotFoundError(f"There is no credit decision with id {decision_id}.")
    return row
