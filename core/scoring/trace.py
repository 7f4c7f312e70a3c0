"""The decision trace: everything needed to explain and reproduce a decision, as JSON.

Numbers are written as strings ("0.4512") so nothing is lost to floating point. The full
trace is stored once, on the `credit_decisions` row; the application keeps a `summary`
pointing at it (its status change is audited with that summary), so a decision's 15 KB of
detail is not copied into the application row and the audit trail. The
`inputs_hash` is SHA-256 over the canonical JSON of the inputs and the versions used: two
decisions with the same hash were made from the same data by the same configuration, and
always agree. The format is documented in docs/decisioning.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from core.scoring.assess import Assessment, Decision
from core.scoring.bureau import BureauReport
from core.scoring.derive import Applicant
from core.scoring.parser import Value
from core.scoring.scoring import ScoreResult

ENGINE: Final = "lendline-decisioning/1"


def plain(value: Value) -> str | bool | None:
    return str(value) if isinstance(value, Decimal) else value


def inputs_of(applicant: Applicant) -> dict[str, Any]:
    """What the decision was made from (before any derivation)."""
    return {
        "application_id": applicant.application_id, "reference": applicant.reference,
        "customer_id": applicant.customer_id, "today": applicant.today.isoformat(),
        "product": applicant.product.code, "currency": applicant.amount.currency,
        "amount": str(applicant.amount.amount), "term": applicant.term,
        "date_of_birth": applicant.date_of_birth.isoformat(),
        "facts": {name: plain(value) for name, value in sorted(applicant.gathered.items())},
    }


def inputs_hash(inputs: Mapping[str, Any], versions: Mapping[str, Any]) -> str:
    canonical = json.dumps({"inputs": inputs, "versions": versions}, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def score_json(score: ScoreResult) -> dict[str, Any]:
    return {
        "total": score.total, "unclamped": score.unclamped, "base": score.base,
        "band": score.band,
        "characteristics": [{"fact": line.fact, "label": line.label, "value": plain(line.value),
                             "bin": line.bin, "points": line.points,
                             "max_points": line.max_points} for line in score.lines],
    }


def rules_json(assessment: Assessment) -> list[dict[str, Any]]:
    return [{
        "id": r.rule.id, "description": r.rule.description, "severity": r.rule.severity.value,
        "expression": r.rule.expression, "operator": r.rule.operator,
        "threshold": r.rule.threshold, "outcome": r.outcome.value, "value": plain(r.value),
        "problem": r.problem,
    } for r in assessment.rules]


def offer_json(assessment: Assessment) -> dict[str, Any]:
    facts = assessment.facts
    return {"amount": str(assessment.amount.amount), "term": assessment.term,
            "annual_rate": plain(facts.get("annual_rate")),
            "monthly_instalment": plain(facts.get("new_instalment")),
            "debt_service_ratio": plain(facts.get("debt_service_ratio"))}


def _option(assessment: Assessment | None, tried: int) -> dict[str, Any] | None:
    """A counter-offer candidate: its terms and each rule's outcome and value on it (the
    rules themselves are described once, in the trace's `rules`)."""
    if assessment is None:
        return None
    return {"candidates_tried": tried, **offer_json(assessment), "score": assessment.score.total,
            "rules": [{"id": r.rule.id, "outcome": r.outcome.value, "value": plain(r.value)}
                      for r in assessment.rules]}


def summary(trace: Mapping[str, Any], decision_id: int) -> dict[str, Any]:
    """What the application keeps of a decision: the outcome, its reasons and offer, the
    versions, the fired rules, and the id of the `credit_decisions` row holding the rest."""
    return {
        "engine": trace["engine"], "credit_decision_id": decision_id,
        "decision": trace["decision"], "score": trace["score"]["total"],
        "band": trace["score"]["band"], "reasons": trace["reasons"],
        "versions": trace["versions"], "inputs_hash": trace["inputs_hash"],
        "offer": trace["offer"],
        "rules_fired": [r["id"] for r in trace["rules"] if r["outcome"] == "fired"],
        "rules_undecided": [r["id"] for r in trace["rules"]
                            if r["outcome"] in ("missing", "error")],
    }


def build_trace(
    applicant: Applicant, decision: Decision, *, versions: Mapping[str, Any],
    decided_at: dt.datetime, report: BureauReport | None, bureau_name: str,
    shadows: Sequence[tuple[Mapping[str, Any], ScoreResult]] = (),
) -> dict[str, Any]:
    """The complete trace of one decision (see the module docstring)."""
    inputs = inputs_of(applicant)
    asked = decision.assessment
    counter = decision.offer if decision.offer is not asked else None
    return {
        "engine": ENGINE,
        "application": {"id": applicant.application_id, "reference": applicant.reference,
                        "customer_id": applicant.customer_id},
        "decided_at": decided_at.isoformat(),
        "versions": dict(versions),
        "inputs": inputs,
        "inputs_hash": inputs_hash(inputs, versions),
        "bureau": {"name": bureau_name, "reference": None if report is None else report.reference},
        "decision": decision.outcome.value,
        "score": score_json(asked.score),
        "rules": rules_json(asked),
        "facts": {name: plain(value) for name, value in sorted(asked.facts.items())},
        "offer": None if decision.offer is None else offer_json(decision.offer),
        "counter_offer": _option(counter, decision.candidates_tried),
        "suggested_counter_offer": _option(decision.suggestion, decision.candidates_tried),
        "reasons": list(decision.reasons),
        "shadow": [{"scorecard": dict(card), **score_json(score)} for card, score in shadows],
    }
