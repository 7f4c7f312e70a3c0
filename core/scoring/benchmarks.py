"""Occupation benchmarks for the plausibility of declared income and expenses.

A small table for the demo lender (Trinidad and Tobago dollars a month): the typical gross
income of an occupation and the lowest share of income its households plausibly spend on
living costs. An occupation matches the first row one of whose keywords appears among its
words; anything else uses `OTHER`. Declared income far above the typical figure, or
expenses far below the plausible share, is worth a person's look (see the default rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final


@dataclass(frozen=True, slots=True)
class OccupationBenchmark:
    name: str
    keywords: tuple[str, ...]
    typical_gross_income: Decimal
    min_expense_ratio: Decimal


def _row(name: str, keywords: str, income: int, ratio: str) -> OccupationBenchmark:
    return OccupationBenchmark(name, tuple(keywords.split()), Decimal(income), Decimal(ratio))


BENCHMARKS: Final = (
    _row("Medical and legal professional", "doctor physician lawyer attorney pharmacist "
         "accountant dentist", 22_000, "0.20"),
    _row("Engineer", "engineer architect", 18_000, "0.20"),
    _row("Manager or supervisor", "manager supervisor director", 13_000, "0.20"),
    _row("Technician or trade", "technician mechanic electrician plumber welder", 11_000,
         "0.25"),
    _row("Nurse", "nurse midwife", 10_500, "0.25"),
    _row("Teacher", "teacher lecturer educator tutor", 9_500, "0.25"),
    _row("Contractor or builder", "contractor builder mason carpenter", 9_000, "0.25"),
    _row("Police or defence", "police officer soldier firefighter", 9_000, "0.25"),
    _row("Clerical or bank staff", "teller clerk cashier administrator secretary", 7_000, "0.30"),
    _row("Driver", "driver chauffeur courier", 7_000, "0.30"),
    _row("Sales or customer service", "sales customer agent representative retail", 6_500,
         "0.30"),
    _row("Security", "security guard watchman", 6_000, "0.35"),
)
OTHER: Final = _row("Other", "", 8_000, "0.25")


def benchmark_for(occupation: str | None) -> OccupationBenchmark:
    """The benchmark row for a declared occupation (OTHER when none matches)."""
    words = set(re.findall(r"[a-z]+", (occupation or "").lower()))
    for row in BENCHMARKS:
        if words.intersection(row.keywords):
            return row
    return OTHER
