"""Delinquency buckets by days past due: CURRENT, 1–30, 31–60, 61–90 and 90+ (91 and more).

The bounds are data: `bucket_for` applies them in Python and `bucket_sql` writes the same
rule as a SQL CASE, so the set-based run and the services can never disagree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Bucket(StrEnum):
    CURRENT = "current"
    DPD_1_30 = "1-30"
    DPD_31_60 = "31-60"
    DPD_61_90 = "61-90"
    DPD_90_PLUS = "90+"

    @property
    def rank(self) -> int:
        """0 for CURRENT up to 4 for 90+: how far behind the bucket is."""
        return ORDER.index(self)

    @property
    def label(self) -> str:
        return "current" if self is Bucket.CURRENT else f"{self.value} days past due"


ORDER: Final = (Bucket.CURRENT, Bucket.DPD_1_30, Bucket.DPD_31_60, Bucket.DPD_61_90,
                Bucket.DPD_90_PLUS)
UPPER_BOUNDS: Final = ((Bucket.CURRENT, 0), (Bucket.DPD_1_30, 30), (Bucket.DPD_31_60, 60),
                       (Bucket.DPD_61_90, 90))
"""Each bucket but the last with the most days past due it holds."""

PAR_THRESHOLDS: Final = ((1, Bucket.DPD_1_30), (30, Bucket.DPD_31_60), (60, Bucket.DPD_61_90),
                         (90, Bucket.DPD_90_PLUS))
"""PARn counts loans more than n days past due (PAR1: at least one day), which is exactly
the buckets from the one named onwards."""


def bucket_for(days_past_due: int) -> Bucket:
    """The bucket of a number of days past due (negative counts as current)."""
    for bucket, upper in UPPER_BOUNDS:
        if days_past_due <= upper:
            return bucket
    return Bucket.DPD_90_PLUS


def bucket_sql(days: str) -> str:
    """The rule of `bucket_for` as a SQL expression over the integer expression `days`."""
    arms = " ".join(f"WHEN {days} <= {upper} THEN '{bucket.value}'" for bucket, upper in
                    UPPER_BOUNDS)
    return f"(CASE {arms} ELSE '{Bucket.DPD_90_PLUS.value}' END)"
