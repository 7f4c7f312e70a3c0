"""Assess an applicant for one amount and term, and turn assessments into a decision.

`assess` derives the facts, scores them, adds the score's pricing facts and evaluates
EVERY rule (disabled rules are listed as such). `decide` applies the policy:

1. a HARD_DECLINE rule fired → DECLINE, unless every such rule is `counter_offerable`:
   then the counter-offer search (order and method in `core.scoring.counter_offer`) looks
   for the largest amount at the shortest term with no hard decline: found and clean →
   COUNTER_OFFER; found but some rule refers → REFER (the candidate is kept as a
   suggestion); none → DECLINE;
2. else a REFER rule fired, or a HARD_DECLINE or REFER rule could not be evaluated
   (a missing fact or an error) → REFER;
3. else APPROVE, priced at the band's rate. SOFT_FLAG rules never change the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.money import Money
from core.scoring.counter_offer import grid
from core.scoring.derive import Applicant, Quotes, base_facts, priced_facts
from core.scoring.models import DecisionOutcome
from core.scoring.parser import Value
from core.scoring.reasons import MAX_REASONS, principal_reasons
from core.scoring.rules import CompiledRule, Outcome, RuleSpec, Severity
from core.scoring.scoring import CompiledScorecard, ScoreResult

_UNDECIDED = frozenset({Outcome.MISSING, Outcome.ERROR})


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: RuleSpec
    outcome: Outcome
    value: Value
    problem: str | None


@dataclass(frozen=True, slots=True)
class Assessment:
    amount: Money
    term: int
    facts: dict[str, Value]
    score: ScoreResult
    rules: tuple[RuleResult, ...]

    def fired(self, severity: Severity) -> list[RuleResult]:
        return [r for r in self.rules if r.outcome is Outcome.FIRED and r.rule.severity is severity]

    def undecided(self) -> list[RuleResult]:
        return [r for r in self.rules
                if r.outcome in _UNDECIDED and r.rule.severity is not Severity.SOFT_FLAG]

    @property
    def clean(self) -> bool:
        """No hard decline, no referral, nothing undecided."""
        return not (self.fired(Severity.HARD_DECLINE) or self.fired(Severity.REFER)
                    or self.undecided())


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: DecisionOutcome
    assessment: Assessment
    """At the amount and term asked for."""
    offer: Assessment | None
    """What is offered: the request (APPROVE) or the counter-offer (COUNTER_OFFER)."""
    suggestion: Assessment | None
    """A counter-offer that still needs a person's review (REFER only)."""
    reasons: tuple[str, ...]
    candidates_tried: int


def assess(
    applicant: Applicant, scorecard: CompiledScorecard, rules: Sequence[CompiledRule], *,
    amount: Money, term: int, quotes: Quotes,
) -> Assessment:
    """Facts, score and every rule's outcome for lending `amount` over `term`."""
    facts = base_facts(applicant, amount, term)
    score = scorecard.score(facts)
    facts["score"] = Decimal(score.total)
    facts["score_band"] = score.band
    priced_facts(applicant, facts, amount, term, score.band, quotes)
    results = []
    for rule in rules:
        outcome, value, problem = rule.check(facts)
        results.append(RuleResult(rule.spec, outcome, value, problem))
    return Assessment(amount, term, facts, score, tuple(results))


def decide(
    applicant: Applicant, scorecard: CompiledScorecard, rules: Sequence[CompiledRule]
) -> Decision:
    """The decision on the application as asked (see the module docstring)."""
    quotes: Quotes = {}
    asked = assess(applicant, scorecard, rules, amount=applicant.amount, term=applicant.term,
                   quotes=quotes)
    hard = asked.fired(Severity.HARD_DECLINE)
    if hard:
        if not all(result.rule.counter_offerable for result in hard):
            return _final(DecisionOutcome.DECLINE, asked, None, None, 0)
        option, tried = _search(applicant, scorecard, rules, asked.score.band, quotes)
        if option is None:
            return _final(DecisionOutcome.DECLINE, asked, None, None, tried)
        if option.clean:
            return _final(DecisionOutcome.COUNTER_OFFER, asked, option, None, tried)
        return _final(DecisionOutcome.REFER, asked, None, option, tried)
    if asked.fired(Severity.REFER) or asked.undecided():
        return _final(DecisionOutcome.REFER, asked, None, None, 0)
    return _final(DecisionOutcome.APPROVE, asked, asked, None, 0)


def _unaffordable(option: Assessment) -> bool:
    return any(r.rule.counter_offerable for r in option.fired(Severity.HARD_DECLINE))


def _search(
    applicant: Applicant, scorecard: CompiledScorecard, rules: Sequence[CompiledRule],
    band: str, quotes: Quotes,
) -> tuple[Assessment | None, int]:
    """The first counter-offer with no hard decline, and how many candidates were assessed
    (the method is explained in `core.scoring.counter_offer`)."""
    rows = grid(applicant, band)
    seen: dict[tuple[Money, int], Assessment] = {}

    def at(amount: Money, term: int) -> Assessment:
        if (amount, term) not in seen:
            seen[(amount, term)] = assess(applicant, scorecard, rules, amount=amount, term=term,
                                          quotes=quotes)
        return seen[(amount, term)]

    def affordable(index: int) -> bool:
        amount, terms = rows[index]
        return not _unaffordable(at(amount, terms[-1]))

    # The largest amount affordable over its longest term: the first one, or by bisection.
    low, high = 0, len(rows)
    if rows and affordable(0):
        high = 0
    else:
        low = 1
    while low < high:
        middle = (low + high) // 2
        if affordable(middle):
            high = middle
        else:
            low = middle + 1
    for amount, terms in rows[low:]:
        best = at(amount, terms[-1])
        if _unaffordable(best):
            continue
        first, last = 0, len(terms) - 1
        while first < last:
            middle = (first + last) // 2
            option = at(amount, terms[middle])
            if _unaffordable(option):
                first = middle + 1
            else:
                last, best = middle, option
        if not best.fired(Severity.HARD_DECLINE):
            return best, len(seen)
    return None, len(seen)


def _quotable(offer: Assessment) -> bool:
    over = offer.facts.get("amount_over_band_cap")
    return offer.facts.get("band_eligible") is True and isinstance(over, Decimal) and over <= 0


def _final(
    outcome: DecisionOutcome, asked: Assessment, offer: Assessment | None,
    suggestion: Assessment | None, tried: int,
) -> Decision:
    reasons = principal_reasons(outcome, asked)
    if offer is not None and not _quotable(offer):
        # Rules can be disabled; an offer the product cannot quote must still never be made.
        outcome, offer = DecisionOutcome.REFER, None
        reasons = (*reasons, "The product cannot be offered for this risk band and amount.")
    return Decision(outcome, asked, offer, suggestion, reasons[:MAX_REASONS], tried)
