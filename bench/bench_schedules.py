"""Schedules built per second, by method and term (monthly, per-period and daily interest).

Run from the repository root: `python bench/bench_schedules.py [seconds-per-case]`
(default 1). Timings use float seconds; no money passes through a float.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import figure

from core.loans.schedule import build_schedule
from core.loans.terms import InterestCalculation, InterestMethod, LoanTerms
from core.money import Money


def rate(terms: LoanTerms, budget: float, rounds: int = 5) -> float:
    """Best schedules-per-second over `rounds` timed runs sharing `budget` seconds.

    The best round is reported because the machine is shared: slower rounds measure the
    neighbours, not the code.
    """
    build_schedule(terms)  # warm up
    best = 0.0
    for _ in range(rounds):
        count, started = 0, time.perf_counter()
        deadline = started + budget / rounds
        while (now := time.perf_counter()) < deadline or count == 0:
            for _ in range(20):
                build_schedule(terms)
            count += 20
        best = max(best, count / (now - started))
    return best


def main() -> None:
    budget = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(f"{'method':<28} {'calculation':<11} {'term':>4} {'schedules/s':>12}")
    for method in InterestMethod:
        for calculation in InterestCalculation:
            for term in (12, 60):
                terms = LoanTerms(
                    principal=Money.of("25000.00"),
                    annual_rate=Decimal("0.1875"),
                    term=term,
                    start_date=date(2024, 1, 31),
                    method=method,
                    calculation=calculation,
                )
                per_second = rate(terms, budget)
                print(f"{method.value:<28} {calculation.value:<11} {term:>4} {per_second:>12,.0f}")
                figure(f"{method.value}, {calculation.value}, {term} months", per_second,
                       "schedules/s")


if __name__ == "__main__":
    main()
