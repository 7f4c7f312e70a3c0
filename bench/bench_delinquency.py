"""The daily delinquency run over a book of 100,000 active loans, on its own embedded
PostgreSQL.

Seeds the book with the servicing bench's generator (`bench_servicing.load`: loans disbursed
through 2024 on 45 schedule templates, every twelfth loan behind on 31 December 2024), then
un-pays up to three more instalments on those loans so that every bucket is populated, then
times `run_delinquency`:
1. for 31 December 2024 (snapshots every loan, opens a case per loan in arrears);
2. again for the same date (idempotent: must write nothing);
3. for 1 January 2025 (every delinquent loan a day older, some changing bucket);
and prints the portfolio at risk. Target: under 60 s per run.

Run from the repository root: `python bench/bench_delinquency.py [loans]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from figures import figure

from bench.bench_servicing import BOOK_DATE, load, prepare
from core.collections.delinquency import DelinquencyResult, run_delinquency
from core.db.session import make_engine, make_session_factory, unit_of_work
from lendline.embedded import scratch_postgres

ACTOR = "bench"
TARGET_SECONDS = 60

_SPREAD = """
WITH unpaid AS (
    SELECT i.id, i.loan_id, i.principal_due
    FROM (SELECT id, loan_id, principal_due, row_number() OVER (
              PARTITION BY loan_id ORDER BY due_date DESC) AS back
          FROM loan_instalments WHERE status = 'paid' AND loan_id % 12 = 0) i
    WHERE i.back <= i.loan_id % 48 / 12
), rows AS (
    UPDATE loan_instalments i SET status = 'due', principal_paid = 0, interest_paid = 0,
        paid_on = NULL
    FROM unpaid u WHERE i.id = u.id
)
UPDATE loans l SET principal_outstanding = l.principal_outstanding + u.principal
FROM (SELECT loan_id, sum(principal_due) AS principal FROM unpaid GROUP BY loan_id) u
WHERE l.id = u.loan_id
"""


def spread_arrears(url: str) -> None:
    """Loans 12, 24, 36 (mod 48) get 1, 2, 3 more instalments unpaid."""
    with psycopg.connect(url) as conn:
        conn.execute(_SPREAD)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        conn.execute("VACUUM ANALYZE loan_instalments")


async def timed_runs(url: str, dates: list[dt.date]) -> list[tuple[float, DelinquencyResult]]:
    """One run per date, each in its own transaction; (seconds, result) for each."""
    engine = make_engine(url, pool_size=1)
    factory = make_session_factory(engine)
    results = []
    for day in dates:
        started = time.perf_counter()
        async with unit_of_work(factory) as session:
            result = await run_delinquency(session, as_of=day, actor=ACTOR)
        results.append((time.perf_counter() - started, result))
    await engine.dispose()
    return results


def describe(label: str, seconds: float, result: DelinquencyResult, loans: int) -> str:
    cases = result.cases
    verdict = "ok" if seconds < TARGET_SECONDS else f"OVER the {TARGET_SECONDS} s target"
    return (f"{label:<34} {seconds:6.2f} s ({loans / seconds:>9,.0f} loans/s, {verdict}); "
            f"snapshot rows written {result.snapshot_rows_written:,}, cases opened "
            f"{cases.opened:,}, moved {cases.moved:,}, closed {cases.closed:,}, rescored "
            f"{cases.rescored:,}; changed: {result.changed}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with scratch_postgres("lld-") as postgres:
        url = postgres.migrated_database("bench_delinquency")
        customer_id, product_id = asyncio.run(prepare(url))
        started = time.perf_counter()
        load(url, count, customer_id, product_id)
        spread_arrears(url)
        print(f"seeded {count:,} loans with instalments by COPY in "
              f"{time.perf_counter() - started:.1f} s")
        next_day = BOOK_DATE + dt.timedelta(days=1)
        runs = asyncio.run(timed_runs(url, [BOOK_DATE, BOOK_DATE, next_day]))
        labels = [f"first run for {BOOK_DATE}", f"rerun for {BOOK_DATE} (idempotent)",
                  f"next day, {next_day}"]
        for label, (seconds, result) in zip(labels, runs, strict=True):
            print(describe(label, seconds, result, count))
            figure(f"{label.split(' for ')[0].split(',')[0]}, {count:,} loans", seconds, "s")
        par = runs[-1][1].par
        print(f"book on {par.as_of}: {par.loans:,} loans, {par.currency} "
              f"{par.principal_outstanding:,.2f} principal outstanding")
        for bucket in par.buckets:
            print(f"  {bucket.bucket.value:>7}: {bucket.loans:>7,} loans, "
                  f"{bucket.principal_outstanding:>16,.2f} principal, "
                  f"{bucket.arrears:>14,.2f} arrears")
        print("  " + ", ".join(f"{line.name} {line.amount:,.2f} ({line.percent}%)"
                               for line in par.par))
        if runs[1][1].changed:
            raise SystemExit("the rerun for the same date changed something")


if __name__ == "__main__":
    main()
