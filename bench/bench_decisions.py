"""Credit decisioning throughput, on its own embedded PostgreSQL.

1. Stored decisions per second through the full engine: SUBMITTED applications (seeded by
   COPY: customers, verified national IDs, employment, applications for the demo catalogue)
   decided by `decide_applications` with the demo scorecard, every demo rule, the sandbox
   bureau, the counter-offer search where affordability fails, a `credit_decisions` trace row
   per application and `record_decisions` for the batch (each application's status, offer
   and audit event), committed per batch. Reports the client processes' CPU time too: what
   is left of the wall time was spent waiting for PostgreSQL.
2. Batch scoring of 100,000 applicants from CSV text (`score_csv`: parse, score, every rule).

Run from the repository root:
`python bench/bench_decisions.py [applications] [batch rows] [processes]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from figures import figure

from core.db.session import make_engine, make_session_factory, unit_of_work
from core.products.catalogue import install_catalogue
from core.scoring.batch import score_csv
from core.scoring.bureau import SandboxBureau
from core.scoring.demo_rules import DEMO_RULES
from core.scoring.demo_scorecard import DEMO_SCORECARD
from core.scoring.engine import decide_applications
from core.scoring.install import install_decisioning
from core.scoring.rules import RuleSetSpec
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scoring import CompiledScorecard
from lendline.embedded import scratch_postgres

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=ZoneInfo("America/Port_of_Spain"))
ACTOR = "bench"
BATCH = 250
OCCUPATIONS = ("Teacher", "Nurse", "Technician", "Teller", "Engineer", "Driver", "Sales agent")


async def prepare(url: str) -> dict[str, int]:
    """Catalogue and decisioning installed; product ids by code."""
    engine = make_engine(url, pool_size=1)
    async with unit_of_work(make_session_factory(engine)) as session:
        await install_catalogue(session, actor=ACTOR)
        await install_decisioning(session, now=NOW, actor=ACTOR)
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT code, id FROM loan_products").fetchall()
    products: dict[str, int] = dict(rows)
    await engine.dispose()
    return products


def seed(url: str, count: int, products: dict[str, int]) -> None:
    """`count` customers, each with a verified national ID, employment and one SUBMITTED
    application by COPY: half PERSONAL, a quarter DEBT_CONSOLIDATION, a quarter AUTO, asking
    for 1 to 12 (15, 24) months of net income over a random term of the product."""
    rng = random.Random(7)
    people, ids, jobs, apps = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
    choices = (("PERSONAL", 5_000, 150_000, 12, 60, 12), ("PERSONAL", 5_000, 150_000, 12, 60, 12),
               ("DEBT_CONSOLIDATION", 10_000, 200_000, 12, 72, 15),
               ("AUTO", 20_000, 400_000, 24, 84, 24))
    for n in range(1, count + 1):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15_000))
        people.write(f"{n}\tCU-{n:06d}\tBench\tPerson{n}\t{born}\ten\tAmerica/Port_of_Spain\t"
                     "active\n")
        digest = hashlib.sha256(f"bench-id-{n}".encode()).hexdigest()
        ids.write(f"{n}\tnational_id\tx\t{digest}\t{n % 10_000:04d}\tTT\t{NOW.isoformat()}\n")
        gross = 4_000 + rng.randrange(40) * 500
        started = NOW.date() - dt.timedelta(days=rng.randrange(30, 6_000))
        jobs.write(f"{n}\temployed\tEmployer {n % 50}\t{rng.choice(OCCUPATIONS)}\t{started}\tTTD\t"
                   f"{gross}\t{gross * 8 // 10}\t0\t{gross * 3 // 10}\t{NOW.date()}\n")
        code, low, high, short, long, months = choices[n % 4]
        net = gross * 8 // 10
        amount = min(max(net * rng.randrange(1, months + 1) // 1_000 * 1_000, low), high)
        term = rng.randrange(short, long + 1)
        apps.write(f"{n}\tAPP-{n:06d}\t{n}\t{products[code]}\twhatsapp\tTTD\t{amount}\t{term}\t"
                   f"submitted\t{NOW.isoformat()}\t{NOW.isoformat()}\n")
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        for table, columns, data in (
            ("customers", "id, number, first_name, last_name, date_of_birth, "
             "preferred_language, time_zone, status", people),
            ("identity_documents", "customer_id, document_type, number_encrypted, number_hash, "
             "last4, issuing_country, verified_at", ids),
            ("employments", "customer_id, status, employer, occupation, start_date, currency, "
             "gross_monthly_income, net_monthly_income, other_monthly_income, monthly_expenses, "
             "declared_on", jobs),
            ("applications", "id, reference, customer_id, product_id, channel, currency, "
             "requested_amount, requested_term, status, status_changed_at, submitted_at", apps),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(data.getvalue())
        for table in ("customers", "applications"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                           (count,))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


async def decide_range(url: str, first_id: int, last_id: int) -> Counter[str]:
    """Decide applications first_id..last_id, `BATCH` per transaction; their outcomes."""
    engine = make_engine(url, pool_size=1)
    factory = make_session_factory(engine)
    bureau = SandboxBureau()
    outcomes: Counter[str] = Counter()
    for first in range(first_id, last_id + 1, BATCH):
        ids = list(range(first, min(first + BATCH, last_id + 1)))
        async with unit_of_work(factory) as session:
            rows = await decide_applications(session, application_ids=ids, now=NOW, actor=ACTOR,
                                             bureau=bureau)
            outcomes.update(row.outcome.value for row in rows)
    await engine.dispose()
    return outcomes


def worker(url: str, first_id: int, last_id: int) -> tuple[Counter[str], float]:
    """Outcomes and the CPU seconds this process spent."""
    started = time.process_time()
    outcomes = asyncio.run(decide_range(url, first_id, last_id))
    return outcomes, time.process_time() - started


def decide_all(
    url: str, first_id: int, count: int, workers: int
) -> tuple[float, float, Counter[str]]:
    """Decide `count` applications from `first_id` with `workers` processes, each on its own
    slice and connection (as replicas would); wall time, the processes' CPU time and
    outcomes."""
    share = -(-count // workers)
    slices = [(first_id + i * share, min(first_id + (i + 1) * share, first_id + count) - 1)
              for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(worker, [url] * workers, *zip(*slices, strict=True)))
    elapsed = time.perf_counter() - started
    return (elapsed, sum(cpu for _, cpu in results),
            sum((outcomes for outcomes, _ in results), Counter()))


def applicants_csv(rows: int) -> str:
    """A deterministic CSV of applicants with every fact the demo rules read."""
    rng = random.Random(11)
    bureau = SandboxBureau()
    out = io.StringIO()
    out.write("id,age,age_at_maturity,employment_status,employment_months,monthly_income,"
              "debt_to_income,debt_service_ratio,loan_to_income,bureau_available,bureau_score,"
              "bureau_delinquencies,bureau_judgments,bureau_public_records,identity_verified,"
              "blacklisted,product_type,band_eligible,amount_over_band_cap,"
              "open_applications_same_product,recent_applications_30d,income_to_benchmark,"
              "expense_ratio,benchmark_min_expense_ratio,statement_available\n")
    statuses = ("employed", "employed", "employed", "contract", "self_employed", "retired",
                "unemployed")
    for n in range(rows):
        report = bureau.report_for(f"{n:064x}")
        age = 18 + rng.randrange(50)
        score = "" if report is None else str(report.score)
        late = "" if report is None else str(report.delinquencies)
        judgments = "" if report is None else str(report.judgments)
        records = "" if report is None else str(report.public_records)
        out.write(f"A{n},{age},{age + rng.randrange(1, 6)},{rng.choice(statuses)},"
                  f"{rng.randrange(120)},{3_000 + rng.randrange(200) * 100},"
                  f"0.{rng.randrange(10, 70)},0.{rng.randrange(10, 60)},1.{rng.randrange(0, 9)},"
                  f"{'true' if report else 'false'},{score},{late},{judgments},{records},"
                  f"{'true' if rng.random() < 0.95 else 'false'},false,"
                  f"{'cash' if n % 4 else 'hire_purchase'},true,-{rng.randrange(1, 9)}000,0,"
                  f"{rng.randrange(3)},1.{rng.randrange(9)},0.3{rng.randrange(9)},0.25,false\n")
    return out.getvalue()


def batch_scoring(rows: int) -> None:
    text = applicants_csv(rows)
    card = CompiledScorecard(ScorecardSpec.from_dict(DEMO_SCORECARD))
    rules = RuleSetSpec.from_dict({"rules": DEMO_RULES}).compile()
    started, cpu = time.perf_counter(), time.process_time()
    result = score_csv(text, card, rules)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    summary = result.summary
    print(f"batch scoring: {summary.scored:,} applicants ({len(text) / 1e6:.1f} MB of CSV, "
          f"{len(rules)} rules each) in {elapsed:.2f} s wall, {cpu:.2f} s CPU "
          f"({summary.scored / elapsed:,.0f}/s); "
          f"mean score {summary.mean_score}; by decision {summary.by_decision}; "
          f"by band {summary.by_band}")
    figure("batch scoring", summary.scored / elapsed, "applicants/s")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with scratch_postgres("llb-") as postgres:
        url = postgres.migrated_database("bench_decisions")
        products = asyncio.run(prepare(url))
        started = time.perf_counter()
        seed(url, 2 * count, products)
        print(f"seeded {2 * count:,} submitted applications by COPY in "
              f"{time.perf_counter() - started:.1f} s")
        for first, processes in ((1, 1), (count + 1, workers)):
            elapsed, cpu, outcomes = decide_all(url, first, count, processes)
            print(f"engine, {processes} process(es): {count:,} decisions stored in "
                  f"{elapsed:.1f} s = {count / elapsed:,.0f} decisions/s ({BATCH} per "
                  f"transaction, client CPU {cpu:.1f} s); "
                  f"outcomes {dict(sorted(outcomes.items()))}")
            figure(f"decisions stored, {processes} process(es)", count / elapsed, "decisions/s")
        with psycopg.connect(url) as conn:
            stored = conn.execute("SELECT count(*) FROM credit_decisions").fetchone()
            moved = conn.execute("SELECT count(*) FROM applications WHERE status <> 'submitted'"
                                 ).fetchone()
        print(f"check: {stored[0] if stored else 0:,} decision rows, "
              f"{moved[0] if moved else 0:,} applications decided")
    batch_scoring(rows)


if __name__ == "__main__":
    main()
