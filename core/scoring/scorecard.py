"""A scorecard as a validated value: characteristics, bins, points, clamping and bands.

- A characteristic scores one fact (see `core.scoring.facts`). NUMERIC bins are half-open
  ranges [lower, upper): contiguous, ascending, the first may have no lower bound and the
  last no upper bound. CATEGORICAL bins list the values they hold (compared without regard
  to case; a true/false fact reads as 'true' / 'false').
- A missing value, or one in no bin, scores the characteristic's default bin
  (`missing_points`).
- score = base_score + Σ points, clamped to [min_score, max_score]; the band is the first
  (from A) whose `min_score` the score reaches.
- With `scaling` (see `core.scoring.scaling`), bins carry `log_odds` contributions and
  the points and base score are derived from them; any points given are replaced.

`ScorecardSpec.from_dict` / `as_dict` are the stored JSON form (documented in
docs/decisioning.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Any, Final

from core.errors import ValidationError
from core.products.spec import BANDS, as_enum
from core.scoring.evaluator import BOOL, NUMBER, TEXT
from core.scoring.facts import CATALOGUE, PRICED
from core.scoring.scaling import Scaling

SCORE_LIMIT: Final = 10_000


class CharacteristicKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


def decimal_or_none(value: object, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise ValidationError(f"{label} must be a number written as text or a whole number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label} must be a number, not {value!r}.") from None
    if not number.is_finite():
        raise ValidationError(f"{label} must be a finite number.")
    return number


def whole(value: object, label: str) -> int:
    number = decimal_or_none(value, label)
    if number is None or number != number.to_integral_value() or abs(number) > SCORE_LIMIT:
        raise ValidationError(f"{label} must be a whole number of points up to {SCORE_LIMIT}.")
    return int(number)


def _text(value: object, label: str, limit: int = 200) -> str:
    text = " ".join(str(value or "").split())
    if not text or len(text) > limit:
        raise ValidationError(f"{label} needs 1 to {limit} characters.")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Bin:
    label: str
    points: int = 0
    lower: Decimal | None = None
    upper: Decimal | None = None
    values: tuple[str, ...] = ()
    log_odds: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Characteristic:
    fact: str
    label: str
    kind: CharacteristicKind
    bins: tuple[Bin, ...]
    reason: str
    missing_points: int = 0
    missing_log_odds: Decimal | None = None

    @property
    def max_points(self) -> int:
        return max([self.missing_points, *(b.points for b in self.bins)])

    def validate(self) -> None:
        where = f"Characteristic {self.fact}"
        if self.fact not in CATALOGUE:
            raise ValidationError(f"{where}: {self.fact!r} is not a known fact.")
        if self.fact in PRICED:
            raise ValidationError(f"{where}: {self.fact} depends on the score itself.")
        wanted = (NUMBER,) if self.kind is CharacteristicKind.NUMERIC else (TEXT, BOOL)
        if CATALOGUE[self.fact] not in wanted:
            raise ValidationError(f"{where}: {self.fact} is {CATALOGUE[self.fact]}, which "
                                  f"cannot have {self.kind.value} bins.")
        if not self.bins:
            raise ValidationError(f"{where} needs at least one bin.")
        if self.kind is CharacteristicKind.NUMERIC:
            self._check_ranges(where)
        else:
            seen: set[str] = set()
            for item in self.bins:
                if not item.values or item.lower is not None or item.upper is not None:
                    raise ValidationError(f"{where}, bin {item.label!r}: list its values and "
                                          "no range.")
                for value in item.values:
                    if value in seen:
                        raise ValidationError(f"{where}: {value!r} is in two bins.")
                    seen.add(value)

    def _check_ranges(self, where: str) -> None:
        last = len(self.bins) - 1
        for index, item in enumerate(self.bins):
            if item.values:
                raise ValidationError(f"{where}, bin {item.label!r}: a numeric bin has a "
                                      "range, not values.")
            if (item.lower is None and index > 0) or (item.upper is None and index < last):
                raise ValidationError(f"{where}, bin {item.label!r}: only the first bin may "
                                      "be open below and only the last open above.")
            if item.lower is not None and item.upper is not None and item.lower >= item.upper:
                raise ValidationError(f"{where}, bin {item.label!r}: the lower bound must be "
                                      "below the upper bound.")
            if index > 0 and item.lower != self.bins[index - 1].upper:
                raise ValidationError(f"{where}, bin {item.label!r} starts at {item.lower}, "
                                      f"not where the previous bin ends "
                                      f"({self.bins[index - 1].upper}): bins must be "
                                      "contiguous and ascending.")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScorecardSpec:
    """A validated scorecard; see the module docstring."""

    base_score: int
    min_score: int
    max_score: int
    bands: tuple[tuple[str, int], ...]
    characteristics: tuple[Characteristic, ...]
    scaling: Scaling | None = None
    intercept: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.characteristics:
            raise ValidationError("A scorecard needs at least one characteristic.")
        facts = [c.fact for c in self.characteristics]
        for characteristic in self.characteristics:
            characteristic.validate()
            if facts.count(characteristic.fact) > 1:
                raise ValidationError(f"Fact {characteristic.fact} is scored twice.")
        if self.min_score >= self.max_score:
            raise ValidationError("The minimum score must be below the maximum score.")
        codes = [code for code, _ in self.bands]
        if not codes or codes != sorted(codes) or len(set(codes)) != len(codes) or any(
            code not in BANDS for code in codes
        ):
            raise ValidationError("Bands must be distinct, from A to E, listed best first.")
        cuts = [cut for _, cut in self.bands]
        if any(a <= b for a, b in pairwise(cuts)):
            raise ValidationError("Each band's minimum score must be below the previous one's.")
        if cuts[-1] > self.min_score:
            raise ValidationError(f"The lowest band ({codes[-1]}) must start at or below the "
                                  f"minimum score {self.min_score}.")
        if self.scaling is not None:
            self._apply_scaling(self.scaling)

    def _apply_scaling(self, scaling: Scaling) -> None:
        if self.intercept is None:
            raise ValidationError("A scaled scorecard needs the model's intercept.")
        scaled = []
        for characteristic in self.characteristics:
            bins = []
            for item in characteristic.bins:
                if item.log_odds is None:
                    raise ValidationError(f"Characteristic {characteristic.fact}, bin "
                                          f"{item.label!r} needs its log-odds contribution.")
                bins.append(replace(item, points=scaling.points(item.log_odds)))
            missing = characteristic.missing_log_odds or Decimal(0)
            scaled.append(replace(characteristic, bins=tuple(bins),
                                  missing_points=scaling.points(missing)))
        object.__setattr__(self, "characteristics", tuple(scaled))
        object.__setattr__(self, "base_score", scaling.base_points(self.intercept))

    def band_for(self, score: int) -> str:
        for code, cut in self.bands:
            if score >= cut:
                return code
        return self.bands[-1][0]

    def as_dict(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        scaling = None
        if self.scaling is not None:
            scaling = {**self.scaling.as_dict(), "intercept": number(self.intercept)}
        return {
            "base_score": self.base_score, "min_score": self.min_score,
            "max_score": self.max_score, "scaling": scaling,
            "bands": [{"band": code, "min_score": cut} for code, cut in self.bands],
            "characteristics": [{
                "fact": c.fact, "label": c.label, "kind": c.kind.value, "reason": c.reason,
                "missing_points": c.missing_points,
                "missing_log_odds": number(c.missing_log_odds),
                "bins": [{"label": b.label, "lower": number(b.lower), "upper": number(b.upper),
                          "values": list(b.values), "points": b.points,
                          "log_odds": number(b.log_odds)} for b in c.bins],
            } for c in self.characteristics],
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ScorecardSpec:
        """Build from the stored JSON form; ValidationError names the first problem."""
        if not isinstance(values, Mapping):
            raise ValidationError("A scorecard definition is a JSON object.")
        scaling = values.get("scaling")
        intercept = None
        if scaling is not None:
            if not isinstance(scaling, Mapping):
                raise ValidationError("scaling is {pdo, base_score, base_odds, intercept}.")
            intercept = decimal_or_none(scaling.get("intercept"), "The intercept")
            scaling = Scaling(*(
                decimal_or_none(scaling.get(key), f"The scaling's {key}") or Decimal(0)
                for key in ("pdo", "base_score", "base_odds")))
        bands = _list(values.get("bands"), "bands")
        characteristics = _list(values.get("characteristics"), "characteristics")
        return cls(
            base_score=whole(values.get("base_score", 0), "The base score"),
            min_score=whole(values.get("min_score"), "The minimum score"),
            max_score=whole(values.get("max_score"), "The maximum score"),
            bands=tuple((str(b.get("band", "")).strip().upper(),
                         whole(b.get("min_score"), "A band's minimum score")) for b in bands),
            characteristics=tuple(_characteristic(c) for c in characteristics),
            scaling=scaling, intercept=intercept,
        )


def _list(value: object, label: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
        isinstance(item, Mapping) for item in value
    ):
        raise ValidationError(f"{label} must be a list of objects.")
    return list(value)


def _characteristic(values: Mapping[str, Any]) -> Characteristic:
    fact = str(values.get("fact", "")).strip()
    where = f"Characteristic {fact or '(unnamed)'}"
    kind = as_enum(CharacteristicKind, values.get("kind"), "characteristic kind")
    bins = tuple(
        Bin(label=_text(b.get("label"), f"{where}: a bin's label", 60),
            points=whole(b.get("points", 0), f"{where}: points"),
            lower=decimal_or_none(b.get("lower"), f"{where}: a lower bound"),
            upper=decimal_or_none(b.get("upper"), f"{where}: an upper bound"),
            values=tuple(str(v).strip().lower() for v in b.get("values") or ()),
            log_odds=decimal_or_none(b.get("log_odds"), f"{where}: log odds"))
        for b in _list(values.get("bins"), f"{where}: bins")
    )
    return Characteristic(
        fact=fact, label=_text(values.get("label"), f"{where}: label"), kind=kind, bins=bins,
        reason=_text(values.get("reason"), f"{where}: reason"),
        missing_points=whole(values.get("missing_points", 0), f"{where}: missing points"),
        missing_log_odds=decimal_or_none(values.get("missing_log_odds"), f"{where}: log odds"),
    )
