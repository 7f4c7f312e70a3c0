"""Up to four principal reasons, in plain words, for an adverse-action notice.

In order: the reasons of the HARD_DECLINE rules that fired, then of the REFER rules, then
"We could not check ..." for rules that could not be evaluated. A rule on the score
itself (its expression reads `score` or `score_band`) is explained by the characteristics
that cost the most points (best possible points − points scored), not by "low score". An
approval has no reasons.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from core.scoring.models import DecisionOutcome
from core.scoring.rules import Severity

if TYPE_CHECKING:
    from core.scoring.assess import Assessment

MAX_REASONS: Final = 4
_SCORE_FACT: Final = re.compile(r"\bscore(_band)?\b")


def score_shortfalls(assessment: Assessment) -> list[str]:
    """Characteristic reasons, the biggest loss of points first (ties in scorecard order)."""
    lines = [line for line in assessment.score.lines if line.max_points > line.points]
    lines.sort(key=lambda line: line.points - line.max_points)
    return [line.reason for line in lines]


def principal_reasons(outcome: DecisionOutcome, assessment: Assessment) -> tuple[str, ...]:
    """The reasons for `outcome` on `assessment` (see the module docstring).

    When a score rule fired, the score's reasons take the places the other fired rules
    leave free, and at least one.
    """
    if outcome is DecisionOutcome.APPROVE:
        return ()
    hard: list[str] = []
    refer: list[str] = []
    score_rules: list[str] = []
    for severity, bucket in ((Severity.HARD_DECLINE, hard), (Severity.REFER, refer)):
        for result in assessment.fired(severity):
            if _SCORE_FACT.search(result.rule.expression):
                score_rules.append(result.rule.reason)
            else:
                bucket.append(result.rule.reason)
    score: list[str] = []
    if score_rules:
        room = max(1, MAX_REASONS - len(hard) - len(refer))
        score = score_shortfalls(assessment)[:room] or score_rules[:1]
    undecided = [f"We could not check: {r.rule.description[0].lower()}"
                 f"{r.rule.description[1:]}." for r in assessment.undecided()]
    reasons: list[str] = []
    for text in (*hard[:MAX_REASONS - len(score)], *score, *refer, *undecided):
        if text not in reasons:
            reasons.append(text)
    return tuple(reasons[:MAX_REASONS])
