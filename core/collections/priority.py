"""A case's priority score, 0–100: higher is worked first.

    bucket              1–30: 10   31–60: 25   61–90: 40   90+: 50
    arrears (TTD)       ≥ 500: 5   ≥ 2,000: 10   ≥ 10,000: 15   ≥ 50,000: 20
    broken promises     10 each, at most 20
    since last contact  never contacted or 14+ days: 10   7–13 days: 5   under 7: 0

The parts are data: `priority` computes them in Python (with the reasons) and
`priority_sql` writes the same sum as SQL for the daily run, which rescores every open case.
Amount bands are in the book's currency units; a lender in another currency tunes them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.collections.buckets import Bucket
from core.money import Money

BUCKET_POINTS: Final = {Bucket.CURRENT: 0, Bucket.DPD_1_30: 10, Bucket.DPD_31_60: 25,
                        Bucket.DPD_61_90: 40, Bucket.DPD_90_PLUS: 50}
AMOUNT_POINTS: Final = ((Decimal(50_000), 20), (Decimal(10_000), 15), (Decimal(2_000), 10),
                        (Decimal(500), 5))
"""(at least this much in arrears, points), largest first."""
BROKEN_PROMISE_POINTS: Final = 10
BROKEN_PROMISE_CAP: Final = 20
CONTACT_POINTS: Final = ((14, 10), (7, 5))
"""(at least this many days since the last contact, points), longest first."""
NEVER_CONTACTED_POINTS: Final = 10


@dataclass(frozen=True, slots=True)
class Priority:
    score: int
    reasons: tuple[str, ...]


def _amount_points(arrears: Decimal) -> int:
    return next((points for floor, points in AMOUNT_POINTS if arrears >= floor), 0)


def _contact_points(days_since_contact: int | None) -> int:
    if days_since_contact is None:
        return NEVER_CONTACTED_POINTS
    return next((points for floor, points in CONTACT_POINTS if days_since_contact >= floor), 0)


def priority(
    *, bucket: Bucket, arrears: Money, broken_promises: int, days_since_contact: int | None
) -> Priority:
    """The score of a case and one reason per part that scored."""
    parts = (
        (BUCKET_POINTS[bucket], f"{bucket.label}"),
        (_amount_points(arrears.amount), f"{arrears} in arrears"),
        (min(BROKEN_PROMISE_POINTS * broken_promises, BROKEN_PROMISE_CAP),
         f"{broken_promises} broken promise(s)"),
        (_contact_points(days_since_contact),
         "never contacted" if days_since_contact is None
         else f"{days_since_contact} days since the last contact"),
    )
    return Priority(score=sum(points for points, _ in parts),
                    reasons=tuple(f"{reason}: +{points}" for points, reason in parts if points))


def priority_sql(*, bucket: str, arrears: str, broken: str, days_since_contact: str) -> str:
    """`priority` as a SQL integer expression over the given column expressions
    (`days_since_contact` is NULL for a case never contacted)."""
    by_bucket = " ".join(f"WHEN '{b.value}' THEN {p}" for b, p in BUCKET_POINTS.items())
    by_amount = " ".join(f"WHEN {arrears} >= {floor} THEN {p}" for floor, p in AMOUNT_POINTS)
    by_contact = " ".join(f"WHEN {days_since_contact} >= {floor} THEN {p}"
                          for floor, p in CONTACT_POINTS)
    return (
        f"((CASE {bucket} {by_bucket} ELSE 0 END)"
        f" + (CASE {by_amount} ELSE 0 END)"
        f" + LEAST({BROKEN_PROMISE_POINTS} * {broken}, {BROKEN_PROMISE_CAP})"
        f" + (CASE WHEN {days_since_contact} IS NULL THEN {NEVER_CONTACTED_POINTS}"
        f" {by_contact} ELSE 0 END))"
    )
