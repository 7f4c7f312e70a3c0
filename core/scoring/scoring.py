"""Score facts with a scorecard, precompiled for speed.

`CompiledScorecard` turns each characteristic into a lookup made once: a sorted list of
bin lower bounds searched by bisection (numeric) or a dict from value to bin
(categorical). `score` returns every characteristic's bin and points for the trace;
`total` only the clamped score, for the batch path.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.scoring.parser import Value
from core.scoring.scorecard import CharacteristicKind, ScorecardSpec

MISSING_BIN: Final = "missing or other"
"""The label of the default bin in a trace."""


@dataclass(frozen=True, slots=True)
class Line:
    """One characteristic's part of a score. `max_points` is the best it could have given."""

    fact: str
    label: str
    value: Value
    bin: str
    points: int
    max_points: int
    reason: str


@dataclass(frozen=True, slots=True)
class ScoreResult:
    total: int
    unclamped: int
    base: int
    band: str
    lines: tuple[Line, ...]


class _Scorer:
    """Finds a value's bin: its index, or -1 for the default bin."""

    __slots__ = ("bounds", "categories", "first_lower", "last_upper", "numeric")

    def __init__(self, spec: ScorecardSpec, index: int) -> None:
        characteristic = spec.characteristics[index]
        bins = characteristic.bins
        self.numeric = characteristic.kind is CharacteristicKind.NUMERIC
        self.bounds: list[Decimal] = [b.lower for b in bins[1:] if b.lower is not None]
        self.first_lower = bins[0].lower
        self.last_upper = bins[-1].upper
        self.categories = {value: i for i, b in enumerate(bins) for value in b.values}

    def locate(self, value: Value) -> int:
        if value is None:
            return -1
        if self.numeric:
            if not isinstance(value, Decimal):
                return -1
            if self.first_lower is not None and value < self.first_lower:
                return -1
            if self.last_upper is not None and value >= self.last_upper:
                return -1
            return bisect_right(self.bounds, value)
        key = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return self.categories.get(key.strip().lower(), -1)


class CompiledScorecard:
    """A scorecard ready to score facts; build once per scorecard version and reuse."""

    def __init__(self, spec: ScorecardSpec) -> None:
        self.spec = spec
        self._facts = [c.fact for c in spec.characteristics]
        self._scorers = [_Scorer(spec, i) for i in range(len(spec.characteristics))]
        self._points = [
            [*(b.points for b in c.bins), c.missing_points] for c in spec.characteristics
        ]
        self._labels = [[*(b.label for b in c.bins), MISSING_BIN] for c in spec.characteristics]
        self._max_points = [c.max_points for c in spec.characteristics]
        self._low, self._high = spec.min_score, spec.max_score
        self._plan = [(fact, scorer.locate, points) for fact, scorer, points
                      in zip(self._facts, self._scorers, self._points, strict=True)]

    @property
    def facts(self) -> list[str]:
        """The facts this scorecard reads."""
        return list(self._facts)

    def total(self, facts: Mapping[str, Value]) -> int:
        """The clamped score only (no trace)."""
        score = self.spec.base_score
        for fact, locate, points in self._plan:
            score += points[locate(facts.get(fact))]
        return min(max(score, self._low), self._high)

    def score(self, facts: Mapping[str, Value]) -> ScoreResult:
        """The score with each characteristic's value, bin and points."""
        lines = []
        unclamped = self.spec.base_score
        for i, characteristic in enumerate(self.spec.characteristics):
            value = facts.get(characteristic.fact)
            index = self._scorers[i].locate(value)
            points = self._points[i][index]
            unclamped += points
            lines.append(Line(characteristic.fact, characteristic.label, value,
                              self._labels[i][index], points, self._max_points[i],
                              characteristic.reason))
        total = min(max(unclamped, self._low), self._high)
        return ScoreResult(total, unclamped, self.spec.base_score, self.spec.band_for(total),
                           tuple(lines))
