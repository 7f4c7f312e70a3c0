"""Monitoring a scorecard from its stored decisions and the loans that came of them.

A loan is BAD when it was ever 60 or more days past due, or was written off: it is written
off, or is 60+ days past due now, or one of its instalments was paid 60+ days after its due
date or is still unpaid 60+ days after it on `as_of`. Approval means APPROVE or
COUNTER_OFFER. Periods are dates in the lender's time zone, both ends included.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.scoring import metrics
from core.scoring.models import DecisionOutcome
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scorecards import get_scorecard
from core.scoring.scoring import MISSING_BIN

_APPROVED: Final = frozenset({DecisionOutcome.APPROVE.value, DecisionOutcome.COUNTER_OFFER.value})
_ROWS: Final = text("""
SELECT to_char(d.decided_at AT TIME ZONE :tz, 'YYYY-MM') AS month, d.outcome, d.score,
       d.band, d.bins, l.id AS loan_id,
       (l.status = 'written_off' OR l.days_past_due >= 60 OR EXISTS (
            SELECT 1 FROM loan_instalments i
            WHERE i.loan_id = l.id AND i.status IN ('due', 'paid')
              AND COALESCE(i.paid_on, :as_of) - i.due_date >= 60)) AS bad
FROM credit_decisions d
LEFT JOIN loans l ON l.application_id = d.application_id AND l.status <> 'cancelled'
WHERE d.scorecard_id = :card
  AND (d.decided_at AT TIME ZONE :tz)::date BETWEEN :start AND :end
ORDER BY d.id
""")


class Rates(BaseModel):
    key: str
    decisions: int
    approved: int
    approval_rate: Decimal | None
    loans: int
    bads: int
    bad_rate: Decimal | None


class Stability(BaseModel):
    name: str
    psi: Decimal | None
    level: str
    buckets: list[str]
    baseline: list[int]
    current: list[int]


class MonitoringReport(BaseModel):
    scorecard_id: int
    period: tuple[dt.date, dt.date]
    baseline_period: tuple[dt.date, dt.date]
    decisions: int
    outcomes: dict[str, int]
    by_band: list[Rates]
    by_vintage: list[Rates]
    loans: int
    bads: int
    auc: Decimal | None
    gini: Decimal | None
    ks: Decimal | None
    score_stability: Stability
    characteristic_stability: list[Stability]


@dataclass(frozen=True, slots=True)
class _Row:
    month: str
    outcome: str
    score: int
    band: str
    bins: dict[str, Any]
    booked: bool
    bad: bool


def _rate(top: int, bottom: int) -> Decimal | None:
    return (Decimal(top) / bottom).quantize(Decimal("0.0001")) if bottom else None


def _rates(key: str, rows: Sequence[_Row]) -> Rates:
    approved = sum(1 for r in rows if r.outcome in _APPROVED)
    loans = sum(1 for r in rows if r.booked)
    bads = sum(1 for r in rows if r.bad)
    return Rates(key=key, decisions=len(rows), approved=approved,
                 approval_rate=_rate(approved, len(rows)), loans=loans, bads=bads,
                 bad_rate=_rate(bads, loans))


def _grouped(rows: Iterable[_Row], key: str) -> list[Rates]:
    groups: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return [_rates(name, groups[name]) for name in sorted(groups)]


def _stability(name: str, labels: list[str], base: list[int], now: list[int]) -> Stability:
    value = metrics.psi(base, now)
    return Stability(name=name, psi=value, level=metrics.psi_level(value), buckets=labels,
                     baseline=base, current=now)


async def _rows(session: AsyncSession, card: int, start: dt.date, end: dt.date,
                as_of: dt.date, tz: str) -> list[_Row]:
    result = await session.execute(_ROWS, {"card": card, "start": start, "end": end,
                                           "as_of": as_of, "tz": tz})
    return [_Row(r.month, r.outcome, r.score, r.band, r.bins,
                 r.loan_id is not None, bool(r.bad)) for r in result]


def _check_period(start: dt.date, end: dt.date, label: str) -> None:
    if end < start:
        raise ValidationError(f"The {label} ends ({end}) before it starts ({start}).")


async def monitoring_report(
    session: AsyncSession, *, scorecard_id: int, start: dt.date, end: dt.date,
    baseline_start: dt.date, baseline_end: dt.date, as_of: dt.date,
    time_zone: str = "America/Port_of_Spain",
) -> MonitoringReport:
    """Approval and bad rates by band and by vintage (month decided), AUC / Gini / KS on
    the period's loans, and PSI of the score and of each characteristic's bins against the
    baseline period. Statistics are None where there is no data for them."""
    _check_period(start, end, "period")
    _check_period(baseline_start, baseline_end, "baseline period")
    row = await get_scorecard(session, scorecard_id=scorecard_id)
    spec = ScorecardSpec.from_dict(row.definition)
    current = await _rows(session, row.id, start, end, as_of, time_zone)
    baseline = await _rows(session, row.id, baseline_start, baseline_end, as_of, time_zone)
    booked = [r for r in current if r.booked]
    scores, bads = [r.score for r in booked], [r.bad for r in booked]
    edges = metrics.bucket_edges(spec.min_score, spec.max_score)
    labels = [f"< {edges[0]}", *(f"{a}–{b - 1}" for a, b in pairwise(edges)),
              f"≥ {edges[-1]}"]
    score_psi = _stability("score", labels,
                           metrics.bucket_counts([r.score for r in baseline], edges),
                           metrics.bucket_counts([r.score for r in current], edges))
    characteristics = []
    for c in spec.characteristics:
        bins = [b.label for b in c.bins] + [MISSING_BIN]
        characteristics.append(_stability(
            c.fact, bins, [sum(1 for r in baseline if r.bins.get(c.fact) == b) for b in bins],
            [sum(1 for r in current if r.bins.get(c.fact) == b) for b in bins]))
    outcomes = {o.value: sum(1 for r in current if r.outcome == o.value) for o in DecisionOutcome}
    return MonitoringReport(
        scorecard_id=row.id, period=(start, end), baseline_period=(baseline_start, baseline_end),
        decisions=len(current), outcomes=outcomes, by_band=_grouped(current, "band"),
        by_vintage=_grouped(current, "month"), loans=len(booked), bads=sum(bads),
        auc=metrics.auc(scores, bads), gini=metrics.gini(scores, bads),
        ks=metrics.ks(scores, bads), score_stability=score_psi,
        characteristic_stability=characteristics)
