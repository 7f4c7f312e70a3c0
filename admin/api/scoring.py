"""Credit decisioning API (staff): decide an application with the engine, read decision
traces, what-if, bank-statement analysis, batch scoring, monitoring, and the
champion/challenger routing. Scorecard and rule-set configuration is in `scoring_config`.

Underwriters, supervisors and admins may use it; only supervisors and admins change the
routing. The credit bureau is the app's `credit_bureau` when one is configured, else the
offline sandbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from admin.api import scoring_config
from admin.api.scoring_config import EditorDep, read_csv
from admin.api.scoring_views import (
    BatchOut,
    DecisionOut,
    DecisionTraceOut,
    PromoteIn,
    RoutingIn,
    RoutingOut,
    StatementOut,
    WhatIfIn,
)
from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.errors import PermissionDenied
from core.scoring import engine, routing
from core.scoring.bank_statements import analyse_bank_statement
from core.scoring.batch import score_batch
from core.scoring.bureau import CreditBureau, SandboxBureau
from core.scoring.facts import FACTS
from core.scoring.monitoring import MonitoringReport, monitoring_report
from core.scoring.statements import MAX_BYTES as STATEMENT_BYTES
from core.scoring.whatif import WhatIf, what_if
from core.staff.models import Role

router = APIRouter(tags=["scoring"])
router.include_router(scoring_config.router)
_USERS = frozenset({Role.UNDERWRITER, Role.SUPERVISOR, Role.ADMIN})
BATCH_BYTES = 20_000_000


@dataclass(frozen=True, slots=True)
class Underwriter:
    actor: str
    now: dt.datetime
    bureau: CreditBureau


def underwriter(request: Request, staff: CurrentStaff) -> Underwriter:
    if staff.role not in _USERS:
        raise PermissionDenied("Only underwriters, supervisors and admins use decisioning.")
    settings: Any = request.app.state.settings
    bureau: CreditBureau = getattr(request.app.state, "credit_bureau", None) or SandboxBureau()
    return Underwriter(f"staff:{staff.id}", dt.datetime.now(ZoneInfo(settings.timezone)), bureau)


UnderwriterDep = Annotated[Underwriter, Depends(underwriter)]


@router.post("/applications/{application_id}/decide")
async def decide(application_id: int, session: SessionDep, who: UnderwriterDep) -> DecisionTraceOut:
    """Run the engine on a SUBMITTED application and record its decision and trace."""
    row = await engine.decide_application(session, application_id=application_id, now=who.now,
                                          actor=who.actor, bureau=who.bureau)
    return DecisionTraceOut.of(row)


@router.get("/applications/{application_id}/credit-decisions")
async def decisions_for(
    application_id: int, session: SessionDep, who: UnderwriterDep
) -> list[DecisionOut]:
    return [DecisionOut.of(r) for r in
            await engine.decisions_for(session, application_id=application_id)]


@router.get("/credit-decisions/{decision_id}")
async def get_decision(
    decision_id: int, session: SessionDep, who: UnderwriterDep
) -> DecisionTraceOut:
    """One decision with its complete trace."""
    return DecisionTraceOut.of(await engine.get_decision(session, decision_id=decision_id))


@router.post("/applications/{application_id}/what-if")
async def application_what_if(
    application_id: int, body: WhatIfIn, session: SessionDep, who: UnderwriterDep
) -> WhatIf:
    """Re-decide with changed facts and show the difference; nothing is stored."""
    return await what_if(session, application_id=application_id, changes=body.changes,
                         now=who.now, bureau=who.bureau)


@router.post("/applications/{application_id}/bank-statement", status_code=201)
async def bank_statement(
    application_id: int, session: SessionDep, who: UnderwriterDep,
    file: Annotated[UploadFile, File(description="The statement as CSV (UTF-8).")],
) -> StatementOut:
    """Analyse a CSV bank statement for the application (used by its next decision)."""
    text = await read_csv(file, STATEMENT_BYTES)
    return StatementOut.of(await analyse_bank_statement(
        session, application_id=application_id, csv_text=text, actor=who.actor))


@router.get("/scoring/facts")
async def facts(staff: CurrentStaff) -> dict[str, dict[str, str]]:
    """Every fact rules and scorecards may use, with its type and meaning."""
    return {name: {"type": kind, "meaning": meaning} for name, (kind, meaning) in FACTS.items()}


@router.post("/scoring/batch")
async def batch(
    session: SessionDep, who: UnderwriterDep,
    file: Annotated[UploadFile, File(description="Applicants as CSV: fact-name columns.")],
    scorecard_id: Annotated[int | None, Form()] = None,
) -> BatchOut:
    """Score a CSV of applicants with the live champion (or `scorecard_id`) and rules."""
    text = await read_csv(file, BATCH_BYTES)
    return BatchOut.of(await score_batch(session, csv_text=text, scorecard_id=scorecard_id))


@router.get("/scoring/monitoring")
async def monitoring(
    session: SessionDep, who: UnderwriterDep, scorecard_id: int,
    start: Annotated[dt.date, Query()], end: Annotated[dt.date, Query()],
    baseline_start: Annotated[dt.date, Query()], baseline_end: Annotated[dt.date, Query()],
) -> MonitoringReport:
    """Approval and bad rates by band and vintage, AUC / Gini / KS and PSI for a scorecard."""
    return await monitoring_report(
        session, scorecard_id=scorecard_id, start=start, end=end, baseline_start=baseline_start,
        baseline_end=baseline_end, as_of=who.now.date(), time_zone=str(who.now.tzinfo))


@router.get("/scoring/routing")
async def get_routing(session: SessionDep, who: UnderwriterDep) -> RoutingOut:
    """The live champion/challenger routing."""
    return RoutingOut.of(await routing.live_routing(session))


@router.put("/scoring/routing")
async def set_routing(body: RoutingIn, session: SessionDep, who: EditorDep) -> RoutingOut:
    """A new routing version (arms, shares, shadows; salt and rule set kept unless sent)."""
    return RoutingOut.of(await routing.configure_routing(
        session, arms=[arm.model_dump() for arm in body.arms], justification=body.justification,
        actor=who.actor, rule_set_code=body.rule_set_code, salt=body.salt))


@router.post("/scoring/routing/promote")
async def promote(body: PromoteIn, session: SessionDep, who: EditorDep) -> RoutingOut:
    """Make a challenger or shadow the champion (one audited step)."""
    return RoutingOut.of(await routing.promote(
        session, scorecard_id=body.scorecard_id, justification=body.justification,
        actor=who.actor))
