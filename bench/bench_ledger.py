"""Balanced journal entries posted per second, on a fresh embedded PostgreSQL.

Run from the repository root: `python bench/bench_ledger.py [single-count] [batches] [size]`
(defaults 1000, 10, 1000). Every figure includes building the lines with the posting rules
and COMMIT, which is where the deferred per-entry checks of migration 0004 run:
- one entry per transaction through `post_entry` (audited per entry), 2-line interest
  accruals and 4-line repayments;
- batches through `post_entries_batch` of 2-line accruals and of 4-line repayments: overall,
  the median batch and the best batch (the median says more on a shared, noisy machine).
Timings use float seconds; no money passes through a float.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import figure
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.session import make_engine, make_session_factory
from core.ledger import rules
from core.ledger.chart import ensure_chart
from core.ledger.lines import Line
from core.ledger.posting import EntryDraft, post_entries_batch, post_entry
from core.money import Money
from lendline.embedded import scratch_postgres

DAY = dt.date(2026, 1, 31)


def repayment(n: int) -> list[Line]:
    return rules.repayment(
        loan_id=n,
        received=Money.of("1150.00"),
        fees=Money.of("50.00"),
        interest=Money.of("300.00"),
        principal=Money.of("800.00"),
    )


def accrual(n: int) -> list[Line]:
    return rules.interest_accrual(loan_id=n, amount=Money.of(f"{10 + n % 90}.{n % 100:02d}"))


async def one_at_a_time(
    factory: async_sessionmaker[AsyncSession],
    name: str,
    make: Callable[[int], list[Line]],
    count: int,
) -> float:
    started = time.perf_counter()
    for n in range(count):
        async with factory() as session, session.begin():
            await post_entry(
                session,
                posting_key=f"single-{name}-{n}",
                effective_date=DAY,
                lines=make(n),
                description=name,
                source_type="loan",
                source_id=n,
                actor="bench",
            )
    return count / (time.perf_counter() - started)


async def batched(
    factory: async_sessionmaker[AsyncSession],
    name: str,
    make: Callable[[int], list[Line]],
    batches: int,
    size: int,
) -> tuple[float, float, float]:
    """Overall, median-batch and best-batch entries per second; the clock covers building
    each batch's lines with the posting rules, posting it and committing."""
    rates, started = [], time.perf_counter()
    for b in range(batches):
        batch_started = time.perf_counter()
        drafts = [
            EntryDraft(f"{name}-{b}-{i}", DAY, make(b * size + i), name, "loan", b * size + i)
            for i in range(size)
        ]
        async with factory() as session, session.begin():
            await post_entries_batch(session, entries=drafts, actor="bench")
        rates.append(size / (time.perf_counter() - batch_started))
    overall = batches * size / (time.perf_counter() - started)
    return overall, statistics.median(rates), max(rates)


KINDS = (("accrual", accrual, 2), ("repayment", repayment, 4))


async def run(url: str, single: int, batches: int, size: int) -> None:
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    try:
        async with factory() as session, session.begin():
            await ensure_chart(session, actor="bench")
        for name, make, lines in KINDS:
            rate = await one_at_a_time(factory, name, make, single)
            print(
                f"one entry per transaction, {single} {lines}-line {name}s: {rate:5.0f} entries/s"
            )
            figure(f"{name} entries, one per transaction", rate, "entries/s")
        for name, make, lines in KINDS:
            overall, median, best = await batched(factory, name, make, batches, size)
            print(
                f"{batches} batches of {size} {lines}-line {name}s: {overall:6.0f} entries/s "
                f"overall, {median:6.0f} in the median batch, {best:6.0f} in the best"
            )
            figure(f"{name} entries, batches of {size}", overall, "entries/s")
    finally:
        await engine.dispose()


def main() -> None:
    args = [int(a) for a in sys.argv[1:4]]
    single, batches, size = [*args, *(1000, 10, 1000)[len(args) :]]
    with scratch_postgres("ll-bench-") as postgres:
        asyncio.run(run(postgres.migrated_database("bench"), single, batches, size))


if __name__ == "__main__":
    main()
