"""Request and response bodies of the decisioning API. Amounts and ratios are strings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from core.scoring.batch import BatchResult
from core.scoring.models import CreditDecision, RoutingConfig, RuleSet, Scorecard, StatementAnalysis


class DecisionOut(BaseModel):
    id: int
    application_id: int
    decided_at: dt.datetime
    outcome: str
    score: int
    band: str
    reasons: list[str]
    offered_amount: str | None
    offered_term: int | None
    offered_rate: str | None
    scorecard_id: int
    rule_set_id: int
    routing_version: int
    inputs_hash: str

    @classmethod
    def of(cls, row: CreditDecision) -> DecisionOut:
        return cls(
            id=row.id, application_id=row.application_id, decided_at=row.decided_at,
            outcome=row.outcome.value, score=row.score, band=row.band, reasons=row.reasons,
            offered_amount=None if row.offered_amount is None else str(row.offered_amount),
            offered_term=row.offered_term,
            offered_rate=None if row.offered_rate is None else str(row.offered_rate),
            scorecard_id=row.scorecard_id, rule_set_id=row.rule_set_id,
            routing_version=row.routing_version, inputs_hash=row.inputs_hash)


class DecisionTraceOut(DecisionOut):
    trace: dict[str, Any]

    @classmethod
    def of(cls, row: CreditDecision) -> DecisionTraceOut:
        return cls(**DecisionOut.of(row).model_dump(), trace=row.trace)


class VersionOut(BaseModel):
    id: int
    code: str
    version: int
    name: str
    status: str
    justification: str
    derived_from_id: int | None
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    retired_at: dt.datetime | None
    definition: dict[str, Any]

    @classmethod
    def of(cls, row: Scorecard | RuleSet) -> VersionOut:
        return cls(id=row.id, code=row.code, version=row.version, name=row.name,
                   status=row.status.value, justification=row.justification,
                   derived_from_id=row.derived_from_id, created_by=row.created_by,
                   created_at=row.created_at, published_at=row.published_at,
                   retired_at=row.retired_at, definition=row.definition)


class VersionIn(BaseModel):
    code: str
    name: str
    definition: dict[str, Any]
    justification: str


class VersionEdit(BaseModel):
    """A draft's new definition and/or name, and why."""

    definition: dict[str, Any] | None = None
    name: str | None = None
    justification: str


class CloneIn(BaseModel):
    code: str
    name: str
    justification: str


class RetireIn(BaseModel):
    reason: str


class RuleChangeIn(BaseModel):
    """Fields of the rule to change (all of them for a new rule), and why."""

    changes: dict[str, Any]
    justification: str


class WhatIfIn(BaseModel):
    changes: dict[str, str | int | bool | None] = Field(
        description="Fact name → new value, e.g. {\"net_monthly_income\": \"15000\"}.")


class StatementOut(BaseModel):
    id: int
    application_id: int
    period_start: dt.date
    period_end: dt.date
    transactions: int
    monthly_income: str
    monthly_obligations: str
    minimum_balance: str | None
    average_balance: str | None
    days_negative: int
    details: dict[str, Any]

    @classmethod
    def of(cls, row: StatementAnalysis) -> StatementOut:
        return cls(
            id=row.id, application_id=row.application_id, period_start=row.period_start,
            period_end=row.period_end, transactions=row.transactions,
            monthly_income=str(row.monthly_income),
            monthly_obligations=str(row.monthly_obligations),
            minimum_balance=None if row.minimum_balance is None else str(row.minimum_balance),
            average_balance=None if row.average_balance is None else str(row.average_balance),
            days_negative=row.days_negative, details=row.details)


class BatchRowOut(BaseModel):
    line: int
    id: str | None
    score: int
    band: str
    decision: str
    fired: list[str]


class BatchOut(BaseModel):
    summary: dict[str, Any]
    results: list[BatchRowOut]
    errors: list[str]

    @classmethod
    def of(cls, result: BatchResult) -> BatchOut:
        s = result.summary
        return cls(
            summary={"rows": s.rows, "scored": s.scored, "errors": s.errors,
                     "by_band": s.by_band, "by_decision": s.by_decision,
                     "mean_score": None if s.mean_score is None else str(s.mean_score)},
            results=[BatchRowOut(line=r.line, id=r.id, score=r.score, band=r.band,
                                 decision=r.decision.value, fired=list(r.fired))
                     for r in result.results],
            errors=result.errors)


class ArmIn(BaseModel):
    scorecard_id: int
    role: str
    share: str = "0"


class RoutingIn(BaseModel):
    arms: list[ArmIn]
    justification: str
    rule_set_code: str | None = None
    salt: str | None = None


class PromoteIn(BaseModel):
    scorecard_id: int
    justification: str


class RoutingOut(BaseModel):
    version: int
    salt: str
    rule_set_code: str
    arms: list[dict[str, Any]]
    justification: str
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, row: RoutingConfig) -> RoutingOut:
        return cls(version=row.version, salt=row.salt, rule_set_code=row.rule_set_code,
                   arms=row.arms, justification=row.justification, created_by=row.created_by,
                   created_at=row.created_at)
