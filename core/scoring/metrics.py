"""Scorecard performance and stability statistics, as pure functions on plain data.

Scores rank risk: a higher score should mean a lower chance of going bad.

- AUC: the probability that a random good outscores a random bad, ties counting half
  (Mann–Whitney), computed exactly with fractions. 0.5 is no better than chance.
- Gini = 2 × AUC − 1.
- KS: the largest gap between the cumulative score distributions of bads and goods,
  max over s of |F_bad(s) − F_good(s)| with F(s) the share scoring ≤ s.
- PSI (population stability index) between a baseline and a current distribution over the
  same buckets: Σ (cᵢ − bᵢ) × ln(cᵢ / bᵢ) with shares bᵢ, cᵢ; an empty bucket counts as
  a share of 0.0001 so the logarithm exists. Below 0.1 stable, 0.1–0.25 watch, 0.25 or
  more alert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

from core.errors import ValidationError

PSI_WATCH: Final = Decimal("0.1")
PSI_ALERT: Final = Decimal("0.25")
EMPTY_SHARE: Final = Decimal("0.0001")
_PLACES: Final = Decimal("0.000001")


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(_PLACES)


def _check(scores: Sequence[int | Decimal], bads: Sequence[bool]) -> None:
    if len(scores) != len(bads):
        raise ValidationError("Each score needs its outcome (bad or good).")


def auc(scores: Sequence[int | Decimal], bads: Sequence[bool]) -> Decimal | None:
    """Area under the ROC curve to 6 places; None without both goods and bads."""
    _check(scores, bads)
    good = Counter(s for s, bad in zip(scores, bads, strict=True) if not bad)
    bad = Counter(s for s, is_bad in zip(scores, bads, strict=True) if is_bad)
    n_good, n_bad = sum(good.values()), sum(bad.values())
    if not n_good or not n_bad:
        return None
    wins = Fraction(0)
    bads_below = 0
    for score in sorted(set(good) | set(bad)):
        wins += good[score] * (bads_below + Fraction(bad[score], 2))
        bads_below += bad[score]
    return _decimal(wins / (n_good * n_bad))


def gini(scores: Sequence[int | Decimal], bads: Sequence[bool]) -> Decimal | None:
    """2 × AUC − 1; None without both goods and bads."""
    area = auc(scores, bads)
    return None if area is None else 2 * area - 1


def ks(scores: Sequence[int | Decimal], bads: Sequence[bool]) -> Decimal | None:
    """Kolmogorov–Smirnov statistic to 6 places; None without both goods and bads."""
    _check(scores, bads)
    good = Counter(s for s, bad in zip(scores, bads, strict=True) if not bad)
    bad = Counter(s for s, is_bad in zip(scores, bads, strict=True) if is_bad)
    n_good, n_bad = sum(good.values()), sum(bad.values())
    if not n_good or not n_bad:
        return None
    best = Fraction(0)
    cum_good = cum_bad = 0
    for score in sorted(set(good) | set(bad)):
        cum_good += good[score]
        cum_bad += bad[score]
        best = max(best, abs(Fraction(cum_bad, n_bad) - Fraction(cum_good, n_good)))
    return _decimal(best)


def psi(baseline: Sequence[int], current: Sequence[int]) -> Decimal | None:
    """PSI of two bucket counts in the same order, to 6 places; None if either is empty."""
    if len(baseline) != len(current) or not baseline:
        raise ValidationError("PSI compares two distributions over the same buckets.")
    if any(n < 0 for n in (*baseline, *current)):
        raise ValidationError("Bucket counts cannot be negative.")
    total_b, total_c = sum(baseline), sum(current)
    if not total_b or not total_c:
        return None
    value = Decimal(0)
    for b, c in zip(baseline, current, strict=True):
        share_b = max(Decimal(b) / total_b, EMPTY_SHARE)
        share_c = max(Decimal(c) / total_c, EMPTY_SHARE)
        value += (share_c - share_b) * (share_c / share_b).ln()
    return value.quantize(_PLACES)


def psi_level(value: Decimal | None) -> str:
    """"stable" (< 0.1), "watch" (0.1 to under 0.25), "alert" (≥ 0.25), or "no data"."""
    if value is None:
        return "no data"
    if value >= PSI_ALERT:
        return "alert"
    return "watch" if value >= PSI_WATCH else "stable"


def bucket_edges(low: int, high: int, buckets: int = 10) -> list[int]:
    """Inner edges splitting [low, high] into `buckets` equal-width score ranges."""
    if buckets < 1 or high <= low:
        raise ValidationError("Score buckets need a positive count and a range.")
    return [low + (high - low) * i // buckets for i in range(1, buckets)]


def bucket_counts(scores: Sequence[int], edges: Sequence[int]) -> list[int]:
    """How many scores fall in each bucket: (−∞, e₁), [e₁, e₂), ..., [eₙ, ∞)."""
    counts = [0] * (len(edges) + 1)
    for score in scores:
        counts[sum(1 for edge in edges if score >= edge)] += 1
    return counts
