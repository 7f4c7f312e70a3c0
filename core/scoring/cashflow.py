"""What a bank statement says about income, obligations and balances (deterministic).

1. Each row gets a label from keywords in its description (salary → INCOME, loan or rent →
   OBLIGATION, transfer → TRANSFER, groceries or utilities → LIVING), else none.
2. Recurring groups: rows with the same direction and the same description once digits and
   punctuation are dropped (first three words), kept when their sizes are within 20% of the
   group's median and the median gap between them is weekly (6–8 days, at least 4 rows),
   fortnightly (12–16 days, at least 3) or monthly (26–35 days, at least 2).
3. Rows in no recurring group and with no keyword label are UNCLEAR; when a
   `TransactionLabeler` (an LLM adapter, outside core) is given, it labels those only.
4. Monthly income = recurring credits as monthly amounts (weekly × 52/12, fortnightly ×
   26/12), except groups labelled TRANSFER or LIVING, plus other INCOME-labelled credits
   averaged over the statement's months. Monthly obligations likewise from debits, counting
   recurring groups not labelled LIVING or TRANSFER, plus other OBLIGATION-labelled debits.
5. Balances (when the statement has them): the lowest balance on any row, the average of
   end-of-day balances over every day of the statement, and the days ending below zero.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Final, Protocol

from core.scoring.statements import Transaction


class TransactionLabel(StrEnum):
    INCOME = "income"
    OBLIGATION = "obligation"
    LIVING = "living"
    TRANSFER = "transfer"
    OTHER = "other"


class TransactionLabeler(Protocol):
    """Labels transactions the rules could not place (an LLM adapter implements this)."""

    name: str

    async def label(
        self, transactions: Sequence[Transaction]
    ) -> Mapping[int, TransactionLabel]:
        """Labels by `Transaction.line`; lines left out stay unlabelled."""
        ...


_KEYWORDS: Final = (
    (TransactionLabel.TRANSFER, ("transfer", "tfr", "own account")),
    (TransactionLabel.INCOME, ("salary", "payroll", "wages", "pension", "stipend")),
    (TransactionLabel.OBLIGATION, ("loan", "mortgage", "hire purchase", "instalment",
                                   "installment", "credit card", "insurance", "rent")),
    (TransactionLabel.LIVING, ("supermarket", "grocery", "pharmacy", "fuel", "restaurant",
                               "tstt", "t&tec", "wasa", "digicel", "bmobile")),
)
_FREQUENCIES: Final = (("weekly", 6, 8, 4, Decimal(52) / 12),
                       ("fortnightly", 12, 16, 3, Decimal(26) / 12),
                       ("monthly", 26, 35, 2, Decimal(1)))
_CENT: Final = Decimal("0.01")
_DAYS_PER_MONTH: Final = Decimal("30.4375")
_EXCLUDED: Final = frozenset({TransactionLabel.LIVING, TransactionLabel.TRANSFER})


def keyword_label(description: str) -> TransactionLabel | None:
    text = description.lower()
    for label, words in _KEYWORDS:
        if any(re.search(rf"\b{re.escape(word)}\b", text) for word in words):
            return label
    return None


def group_key(description: str) -> str:
    words = re.sub(r"[^a-z]+", " ", description.lower()).split()
    return " ".join(words[:3]) or "(no description)"


@dataclass(frozen=True, slots=True)
class Recurring:
    description: str
    direction: str
    frequency: str
    typical_amount: Decimal
    occurrences: int
    monthly_amount: Decimal
    lines: tuple[int, ...]
    label: TransactionLabel | None


@dataclass(frozen=True, slots=True)
class Cashflow:
    period: tuple[str, str]
    transactions: int
    monthly_income: Decimal
    monthly_obligations: Decimal
    income_sources: list[Recurring]
    obligations: list[Recurring]
    minimum_balance: Decimal | None
    average_balance: Decimal | None
    days_negative: int
    unclear: list[int]
    labels: dict[int, TransactionLabel] = field(default_factory=dict)


def _recurring(key: str, direction: str, rows: list[Transaction],
               labels: Mapping[int, TransactionLabel]) -> Recurring | None:
    median = statistics.median(abs(r.amount) for r in rows)
    similar = [r for r in rows if abs(abs(r.amount) - median) <= median * Decimal("0.2")]
    if len(similar) < 2:
        return None
    gaps = [(b.date - a.date).days for a, b in pairwise(similar)]
    gap = statistics.median(gaps)
    for name, low, high, minimum, per_month in _FREQUENCIES:
        if low <= gap <= high and len(similar) >= minimum:
            typical = Decimal(statistics.median(abs(r.amount) for r in similar))
            found = {labels[r.line] for r in similar if r.line in labels}
            return Recurring(key, direction, name, typical.quantize(_CENT), len(similar),
                             (typical * per_month).quantize(_CENT, rounding=ROUND_HALF_UP),
                             tuple(r.line for r in similar), found.pop() if len(found) == 1
                             else None)
    return None


def _balances(rows: Sequence[Transaction]) -> tuple[Decimal | None, Decimal | None, int]:
    if any(r.balance is None for r in rows):
        return None, None, 0
    end_of_day: dict[int, Decimal] = {}
    for r in rows:
        assert r.balance is not None
        end_of_day[r.date.toordinal()] = r.balance
    first, last = rows[0].date.toordinal(), rows[-1].date.toordinal()
    daily, current = [], end_of_day[first]
    for day in range(first, last + 1):
        current = end_of_day.get(day, current)
        daily.append(current)
    average = (sum(daily, Decimal(0)) / len(daily)).quantize(_CENT, rounding=ROUND_HALF_UP)
    lowest = min(r.balance for r in rows if r.balance is not None)
    return lowest, average, sum(1 for value in daily if value < 0)


def analyse(
    transactions: Sequence[Transaction], labels: Mapping[int, TransactionLabel] | None = None
) -> Cashflow:
    """The analysis described in the module docstring. `labels` (by line) are a labeller's
    answers for unclear rows; keyword labels always take precedence."""
    rows = sorted(transactions, key=lambda t: (t.date, t.line))
    final = {**(labels or {}), **{r.line: label for r in rows
                                  if (label := keyword_label(r.description)) is not None}}
    groups: dict[tuple[str, str], list[Transaction]] = defaultdict(list)
    for r in rows:
        groups[(group_key(r.description), "credit" if r.amount > 0 else "debit")].append(r)
    recurring = [found for (key, direction), members in sorted(groups.items())
                 if (found := _recurring(key, direction, members, final)) is not None]
    in_group = {line for group in recurring for line in group.lines}
    unclear = [r.line for r in rows if r.line not in in_group and keyword_label(r.description)
               is None and r.line not in (labels or {})]
    days = Decimal((rows[-1].date - rows[0].date).days + 1)
    months = max(Decimal(1), days / _DAYS_PER_MONTH)

    def one_offs(label: TransactionLabel, credit: bool) -> Decimal:
        total = sum((abs(r.amount) for r in rows if r.line not in in_group
                     and final.get(r.line) is label and (r.amount > 0) == credit), Decimal(0))
        return total / months

    income = [g for g in recurring if g.direction == "credit" and g.label not in _EXCLUDED]
    owed = [g for g in recurring if g.direction == "debit" and g.label not in _EXCLUDED]
    monthly_income = sum((g.monthly_amount for g in income), Decimal(0)) + one_offs(
        TransactionLabel.INCOME, credit=True)
    monthly_owed = sum((g.monthly_amount for g in owed), Decimal(0)) + one_offs(
        TransactionLabel.OBLIGATION, credit=False)
    lowest, average, negative = _balances(rows)
    return Cashflow(
        period=(rows[0].date.isoformat(), rows[-1].date.isoformat()), transactions=len(rows),
        monthly_income=monthly_income.quantize(_CENT, rounding=ROUND_HALF_UP),
        monthly_obligations=monthly_owed.quantize(_CENT, rounding=ROUND_HALF_UP),
        income_sources=income, obligations=owed, minimum_balance=lowest,
        average_balance=average, days_negative=negative, unclear=unclear, labels=final)
