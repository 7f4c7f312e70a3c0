"""Points scaling for scorecards built from log-odds (PDO / base odds / base score).

A logistic model gives ln(odds) of a good outcome as intercept + Σ contributions, one
contribution per characteristic (its coefficient × the bin's weight of evidence). The score
is a linear map of ln(odds) fixed by three numbers the lender chooses:

    score  = offset + factor × ln(odds)
    factor = PDO / ln 2                       (points to double the odds)
    offset = base_score − factor × ln(base_odds)

so the score is `base_score` at odds of `base_odds`:1 and every PDO points doubles the
odds. Textbook example (Siddiqi): PDO 20 and 600 points at 50:1 give factor 28.8539 and
offset 487.1229; odds of 100:1 then score 620 and 25:1 score 580. A bin's points are
factor × its contribution and the base points offset + factor × intercept, each rounded
half up to whole points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from core.errors import ValidationError

_PRECISION = 34


def _positive(value: object, label: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(f"The {label} must be a number.")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError(f"The {label} must be a number, not {value!r}.") from None
    if not number.is_finite() or number <= 0:
        raise ValidationError(f"The {label} must be more than zero, not {value!r}.")
    return number


@dataclass(frozen=True, slots=True)
class Scaling:
    """PDO scaling: `pdo` points double the odds; `base_score` at `base_odds`:1."""

    pdo: Decimal
    base_score: Decimal
    base_odds: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "pdo", _positive(self.pdo, "points to double the odds"))
        object.__setattr__(self, "base_score", _positive(self.base_score, "base score"))
        object.__setattr__(self, "base_odds", _positive(self.base_odds, "base odds"))

    @property
    def factor(self) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.pdo / Decimal(2).ln()

    @property
    def offset(self) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.base_score - self.factor * self.base_odds.ln()

    def score_for_odds(self, odds: Decimal) -> Decimal:
        """offset + factor × ln(odds), unrounded."""
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.offset + self.factor * _positive(odds, "odds").ln()

    def odds_for_score(self, score: Decimal | int) -> Decimal:
        """The odds (good:bad) a score stands for: exp((score − offset) / factor)."""
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return ((Decimal(score) - self.offset) / self.factor).exp()

    def points(self, log_odds: Decimal) -> int:
        """A bin's whole points: factor × its log-odds contribution, rounded half up."""
        return int((self.factor * log_odds).to_integral_value(rounding=ROUND_HALF_UP))

    def base_points(self, intercept: Decimal) -> int:
        """The base score: offset + factor × intercept, rounded half up."""
        return int((self.offset + self.factor * intercept).to_integral_value(
            rounding=ROUND_HALF_UP))

    def as_dict(self) -> dict[str, Any]:
        return {"pdo": str(self.pdo), "base_score": str(self.base_score),
                "base_odds": str(self.base_odds)}
