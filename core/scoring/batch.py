"""Score a CSV of applicants: results per row and a summary. Nothing is written.

The header names facts (see `core.scoring.facts`), plus an optional `id` column echoed in
the results; at least one of the scorecard's facts must be there. Cells are parsed by the
fact's type; an empty cell is a missing fact. Each row is scored and EVERY rule evaluated,
then decided as the engine would, except that there is no product to price and so no
counter-offer search: a fired HARD_DECLINE rule gives "decline", a fired REFER rule or a
rule that cannot be evaluated (a fact not in the file) gives "refer", else "approve".
A bad row is reported with its line number and left out of the summary.

Built for speed (the benchmark scores 100,000 rows): one precompiled scorecard, compiled
rule ASTs, per-column converters chosen once, no database access per row.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.scoring import scorecards
from core.scoring.engine import load_setup
from core.scoring.facts import CATALOGUE, parse_fact
from core.scoring.models import DecisionOutcome
from core.scoring.parser import Value
from core.scoring.routing import ArmRole
from core.scoring.rules import CompiledRule, Outcome, Severity
from core.scoring.scoring import CompiledScorecard

MAX_ROWS: Final = 200_000
MAX_ERRORS: Final = 100


@dataclass(frozen=True, slots=True)
class BatchRow:
    line: int
    id: str | None
    score: int
    band: str
    decision: DecisionOutcome
    fired: tuple[str, ...]


@dataclass(slots=True)
class BatchSummary:
    rows: int = 0
    scored: int = 0
    errors: int = 0
    by_band: dict[str, int] = field(default_factory=dict)
    by_decision: dict[str, int] = field(default_factory=dict)
    mean_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    results: list[BatchRow]
    summary: BatchSummary
    errors: list[str]
    """"line 7: bureau_score must be a number, not 'x'" — the first `MAX_ERRORS`."""


_BOOLEANS: Final = {"true": True, "yes": True, "y": True, "1": True,
                   "false": False, "no": False, "n": False, "0": False}


def _converter(name: str) -> Callable[[str], Value]:
    """The cell parser for one column; the slow, worded `parse_fact` only for bad cells."""
    kind = CATALOGUE[name]

    def number(cell: str) -> Value:
        if not cell:
            return None
        try:
            value = Decimal(cell)
        except ArithmeticError:
            return parse_fact(name, cell)
        return value if value.is_finite() else parse_fact(name, cell)

    def boolean(cell: str) -> Value:
        if not cell:
            return None
        found = _BOOLEANS.get(cell.strip().lower())
        return parse_fact(name, cell) if found is None else found

    def text(cell: str) -> Value:
        return cell.strip() or None

    return {"number": number, "true/false": boolean}.get(kind, text)


_CODES: Final = {Severity.HARD_DECLINE: 2, Severity.REFER: 1, Severity.SOFT_FLAG: 0}
_Check = tuple[CompiledRule, str | None, Callable[[Value], bool], int, str]


def _outcome(checks: Sequence[_Check], facts: dict[str, Value]) -> tuple[DecisionOutcome,
                                                                         tuple[str, ...]]:
    """The engine's policy without pricing; a rule over one fact is tested inline (the
    converters guarantee each fact's type), any other through `CompiledRule.check`."""
    worst = 0
    fired = []
    for rule, fact, fires, severity, rule_id in checks:
        if fact is not None:
            value = facts[fact]
            outcome = (Outcome.MISSING if value is None else
                       Outcome.FIRED if fires(value) else Outcome.PASS)
        else:
            outcome = rule.check(facts)[0]
        if outcome is Outcome.FIRED:
            fired.append(rule_id)
            if severity > worst:
                worst = severity
        elif outcome is not Outcome.PASS and severity and not worst:
            worst = 1
    decision = (DecisionOutcome.DECLINE if worst == 2 else
                DecisionOutcome.REFER if worst == 1 else DecisionOutcome.APPROVE)
    return decision, tuple(fired)


def score_csv(
    csv_text: str, scorecard: CompiledScorecard, rules: Sequence[CompiledRule]
) -> BatchResult:
    """Score and decide every row of `csv_text` (see the module docstring)."""
    if not isinstance(csv_text, str) or not csv_text.strip():
        raise ValidationError("The CSV file is empty.")
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [name.strip() for name in next(reader)]
    unknown = [name for name in header if name != "id" and name not in CATALOGUE]
    if unknown:
        raise ValidationError(f"Unknown column(s): {', '.join(unknown[:10])}. Columns are fact "
                              "names (see the fact catalogue) and an optional id.")
    if len(set(header)) != len(header):
        raise ValidationError("A column appears twice in the header.")
    if not set(header) & set(scorecard.facts):
        raise ValidationError("The CSV has none of the scorecard's facts: "
                              f"{', '.join(scorecard.facts)}.")
    id_at = header.index("id") if "id" in header else None
    columns = [(i, name, _converter(name)) for i, name in enumerate(header) if name != "id"]
    blank: dict[str, Value] = dict.fromkeys(CATALOGUE)
    checks = [(rule, rule.fact, rule.fires, _CODES[rule.spec.severity], rule.spec.id)
              for rule in rules if rule.spec.enabled]
    results: list[BatchRow] = []
    errors: list[str] = []
    summary = BatchSummary()
    for row in reader:
        summary.rows += 1
        if summary.rows > MAX_ROWS:
            raise ValidationError(f"A batch may have at most {MAX_ROWS:,} rows.")
        line = reader.line_num
        if len(row) != len(header):
            summary.errors += 1
            if len(errors) < MAX_ERRORS:
                errors.append(f"line {line}: {len(row)} cells for {len(header)} columns")
            continue
        facts = blank.copy()
        try:
            for index, name, convert in columns:
                facts[name] = convert(row[index])
        except ValidationError as error:
            summary.errors += 1
            if len(errors) < MAX_ERRORS:
                errors.append(f"line {line}: {error.message}")
            continue
        score = scorecard.total(facts)
        band = scorecard.spec.band_for(score)
        facts["score"] = Decimal(score)
        facts["score_band"] = band
        decision, fired = _outcome(checks, facts)
        results.append(BatchRow(line, None if id_at is None else row[id_at], score, band,
                                decision, fired))
    summary.scored = len(results)
    summary.by_band = dict(sorted(Counter(r.band for r in results).items()))
    summary.by_decision = dict(sorted(Counter(r.decision.value for r in results).items()))
    if results:
        mean = Decimal(sum(r.score for r in results)) / len(results)
        summary.mean_score = mean.quantize(Decimal("0.01"))
    return BatchResult(results, summary, errors)


async def score_batch(
    session: AsyncSession, *, csv_text: str, scorecard_id: int | None = None
) -> BatchResult:
    """`score_csv` with the live rule set and the live champion (or another scorecard
    version, published or not, to try it before it goes live)."""
    setup = await load_setup(session)
    if scorecard_id is None:
        champion = next(a for a in setup.arms if a.role is ArmRole.CHAMPION)
        card = setup.cards[champion.scorecard_id][1]
    else:
        card = scorecards.compiled(await scorecards.get_scorecard(session,
                                                                  scorecard_id=scorecard_id))
    return score_csv(csv_text, card, setup.rules)
