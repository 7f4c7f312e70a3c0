"""What-if: re-decide an application with some facts changed, and show what moved.

`changes` maps fact names to new values (text or numbers, parsed by the fact's type; ""
makes a fact missing). `requested_amount` and `requested_term` change the request itself,
so pricing, ratios and the counter-offer search follow. A gathered fact (income, bureau
score, employment months...) is replaced before derivation, so the ratios built from it
follow too; a derived fact (debt_to_income, debt_service_ratio...) is forced to the value
given. The score is never set directly: change the facts it reads. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.repository import check_time
from core.errors import ValidationError
from core.money import Money
from core.scoring.bureau import CreditBureau
from core.scoring.engine import Evaluation, evaluate, load_setup
from core.scoring.facts import parse_fact
from core.scoring.gather import gather
from core.scoring.trace import plain

_REQUEST: Final = frozenset({"requested_amount", "requested_term"})
_NEVER: Final = frozenset({"score", "score_band"})
MAX_CHANGES: Final = 30


class LineChange(BaseModel):
    fact: str
    label: str
    value_before: str | bool | None
    value_after: str | bool | None
    bin_before: str
    bin_after: str
    points_before: int
    points_after: int
    points_change: int


class RuleChange(BaseModel):
    id: str
    outcome_before: str
    outcome_after: str
    value_before: str | bool | None
    value_after: str | bool | None


class WhatIf(BaseModel):
    application_id: int
    changes: dict[str, str | bool | None]
    score_before: int
    score_after: int
    band_before: str
    band_after: str
    decision_before: str
    decision_after: str
    characteristics: list[LineChange]
    rules_changed: list[RuleChange]
    reasons_after: list[str]
    offer_after: dict[str, Any] | None


def _compare(before: Evaluation, after: Evaluation, changes: Mapping[str, Any]) -> WhatIf:
    a, b = before.decision.assessment, after.decision.assessment
    lines = [LineChange(fact=x.fact, label=x.label, value_before=plain(x.value),
                        value_after=plain(y.value), bin_before=x.bin, bin_after=y.bin,
                        points_before=x.points, points_after=y.points,
                        points_change=y.points - x.points)
             for x, y in zip(a.score.lines, b.score.lines, strict=True)]
    rules = [RuleChange(id=x.rule.id, outcome_before=x.outcome.value,
                        outcome_after=y.outcome.value, value_before=plain(x.value),
                        value_after=plain(y.value))
             for x, y in zip(a.rules, b.rules, strict=True) if x.outcome is not y.outcome]
    return WhatIf(
        application_id=before.applicant.application_id, changes=dict(changes),
        score_before=a.score.total, score_after=b.score.total, band_before=a.score.band,
        band_after=b.score.band, decision_before=before.decision.outcome.value,
        decision_after=after.decision.outcome.value, characteristics=lines,
        rules_changed=rules, reasons_after=list(after.decision.reasons),
        offer_after=after.trace["offer"])


async def what_if(
    session: AsyncSession, *, application_id: int, changes: Mapping[str, object],
    now: dt.datetime, bureau: CreditBureau,
) -> WhatIf:
    """The decision now, and with `changes`, characteristic by characteristic.

    Raises ValidationError for no changes, an unknown fact, a value of the wrong type, the
    score itself, or a request outside the product (amount, term).
    """
    check_time(now)
    if not changes or len(changes) > MAX_CHANGES:
        raise ValidationError(f"Change 1 to {MAX_CHANGES} facts.")
    for name in changes:
        if name in _NEVER:
            raise ValidationError("The score comes from the scorecard; change the facts it "
                                  "reads instead.")
    parsed = {name: parse_fact(name, value) for name, value in changes.items()}
    setup = await load_setup(session)
    found = await gather(session, application_ids=[application_id], now=now, bureau=bureau)
    applicant = found.applicants[0]
    report = found.reports[applicant.customer_id]
    amount, term = applicant.amount, applicant.term
    if "requested_amount" in parsed:
        new_amount = parsed["requested_amount"]
        if new_amount is None or isinstance(new_amount, bool | str):
            raise ValidationError("Give the requested amount as a number.")
        amount = Money.of(new_amount, amount.currency)
    if "requested_term" in parsed:
        new_term = parsed["requested_term"]
        if new_term is None or isinstance(new_term, bool | str) or new_term != int(new_term):
            raise ValidationError("Give the requested term as a whole number of instalments.")
        term = int(new_term)
    product = applicant.product
    if not product.min_amount <= amount <= product.max_amount or not (
            product.min_term <= term <= product.max_term):
        raise ValidationError(f"The {product.name} lends {product.min_amount} to "
                              f"{product.max_amount} over {product.min_term} to "
                              f"{product.max_term} instalments.")
    gathered = {k: v for k, v in parsed.items() if k in applicant.gathered}
    forced = {k: v for k, v in parsed.items() if k not in applicant.gathered and k not in _REQUEST}
    changed = dataclasses.replace(applicant, amount=amount, term=term,
                                  gathered={**applicant.gathered, **gathered}, overrides=forced)
    before = evaluate(setup, applicant, report, bureau_name=bureau.name, decided_at=now)
    after = evaluate(setup, changed, report, bureau_name=bureau.name, decided_at=now)
    return _compare(before, after, {k: plain(v) for k, v in parsed.items()})
