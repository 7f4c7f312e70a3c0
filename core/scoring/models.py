"""Decisioning records: scorecard and rule-set versions, champion/challenger routing,
stored decisions with their traces, and bank-statement analyses.

Scorecards and rule sets are versioned documents: (code, version) is unique, the
definition is JSON validated by `ScorecardSpec` / `RuleSetSpec`, and a PUBLISHED or
RETIRED version is never changed (the services refuse; see `core.scoring.versions`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin, RateColumn, money
from core.db.types import str_enum


class ConfigStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class DecisionOutcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"
    COUNTER_OFFER = "counter_offer"


class _Versioned(IdMixin, CreatedAtMixin):
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    justification: Mapped[str] = mapped_column(Text)
    derived_from_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Scorecard(_Versioned, Base):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("code", "version"),)

    status: Mapped[ConfigStatus] = mapped_column(str_enum(ConfigStatus, "scorecard_status"))


class RuleSet(_Versioned, Base):
    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("code", "version"),)

    status: Mapped[ConfigStatus] = mapped_column(str_enum(ConfigStatus, "rule_set_status"))


class RoutingConfig(IdMixin, CreatedAtMixin, Base):
    """One version of champion/challenger routing; the highest version is live.

    `arms`: [{"scorecard_id", "role": champion|challenger|shadow, "share": "0.2"}].
    """

    __tablename__ = "scoring_routing"

    version: Mapped[int] = mapped_column(Integer, unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    rule_set_code: Mapped[str] = mapped_column(String(40))
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    justification: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))


class CreditDecision(IdMixin, CreatedAtMixin, Base):
    """One engine decision on one application, with everything needed to explain it."""

    __tablename__ = "credit_decisions"
    __table_args__ = (
        Index("ix_credit_decisions_scorecard", "scorecard_id", "decided_at"),
        CheckConstraint("score >= 0", name="score_not_negative"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[DecisionOutcome] = mapped_column(
        str_enum(DecisionOutcome, "credit_decision_outcome")
    )
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(1))
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"))
    routing_version: Mapped[int] = mapped_column(Integer)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    bins: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reasons: Mapped[list[str]] = mapped_column(JSONB)
    trace: Mapped[dict[str, Any]] = mapped_column(JSONB)
    offered_amount: Mapped[Decimal | None]
    offered_term: Mapped[int | None] = mapped_column(Integer)
    offered_rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    actor: Mapped[str] = mapped_column(String(200))


class StatementAnalysis(IdMixin, CreatedAtMixin, Base):
    """What a bank statement showed, for one application (the latest one counts)."""

    __tablename__ = "bank_statement_analyses"
    __table_args__ = (
        CheckConstraint("monthly_income >= 0 AND monthly_obligations >= 0 "
                        "AND days_negative >= 0 AND period_start <= period_end",
                        name="values_sensible"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    transactions: Mapped[int] = mapped_column(Integer)
    monthly_income: Mapped[money]
    monthly_obligations: Mapped[money]
    minimum_balance: Mapped[Decimal | None]
    average_balance: Mapped[Decimal | None]
    days_negative: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    analysed_by: Mapped[str] = mapped_column(String(200))
