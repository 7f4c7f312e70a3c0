"""A month of loan servicing for a book of 100,000 active loans, on its own embedded PostgreSQL.

Seeds the book in bulk (COPY): loans disbursed through 2024 on 45 schedule templates, their
past instalments paid except on every twelfth loan (in arrears), an opening journal entry
for the balances, and one catch-up run through 31 December 2024. Then, from that same
state (two copies of the database), it times January 2025 two ways: 31 nightly runs, and one
month-end run. It checks the sub-ledger reconciles to the GL after each and prints wall
times and loans per second.

Run from the repository root: `python bench/bench_servicing.py [loans]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from figures import figure

from core.customers.service import register_customer
from core.db.session import make_engine, make_session_factory, unit_of_work
from core.ledger.chart import AccountCode, ensure_chart
from core.ledger.lines import Line
from core.ledger.posting import post_entry
from core.loans.calendar import add_months
from core.loans.contract import terms_to_json
from core.loans.schedule import build_schedule
from core.loans.servicing import run_servicing
from core.loans.subledger import reconcile_subledger, subledger_totals
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.catalogue import PRODUCTS
from core.products.service import create_product
from lendline.embedded import scratch_postgres

BOOK_DATE = dt.date(2024, 12, 31)
MONTH = [dt.date(2025, 1, day) for day in range(1, 32)]
ACTOR = "bench"
TEMPLATES = [
    build_schedule(LoanTerms(principal=Money.of(p), annual_rate=Decimal(r), term=t,
                             start_date=dt.date(2024, 1, 1)))
    for p in (5_000, 10_000, 15_000, 25_000, 40_000) for t in (12, 24, 36)
    for r in ("0.12", "0.18", "0.24")
]
LOAN_COLUMNS = (
    "id, customer_id, product_id, currency, status, terms, principal, amount_financed, "
    "deducted_fee, financed_fee, annual_rate, term, frequency, method, disbursed_on, "
    "maturity_date, schedule_version, overpayment, late_fee, late_fee_grace_days, "
    "early_settlement_fee_percent, principal_outstanding, interest_receivable, accrued_through, "
    "fees_outstanding, penalties_outstanding, credit_balance, days_past_due, arrears_amount, "
    "written_off_amount, recovered_amount"
)
ROW_COLUMNS = (
    "loan_id, version, number, period_start, due_date, principal_due, interest_due, fee_due, "
    "penalty_due, principal_paid, interest_paid, fee_paid, penalty_paid, interest_accrued, "
    "interest_carried, status, paid_on, late_fee_charged"
)


async def prepare(url: str) -> tuple[int, int]:
    """Chart, one borrower and one product; returns their ids."""
    engine = make_engine(url, pool_size=1)
    async with unit_of_work(make_session_factory(engine)) as session:
        await ensure_chart(session, actor=ACTOR)
        customer = await register_customer(
            session, first_name="Bench", last_name="Borrower", date_of_birth=dt.date(1980, 1, 1),
            today=BOOK_DATE, actor=ACTOR)
        product = await create_product(session, spec=PRODUCTS[0], actor=ACTOR)
        ids = customer.id, product.id
    await engine.dispose()
    return ids


def book_rows(count: int, customer_id: int, product_id: int) -> tuple[str, str, Decimal]:
    """TSV for COPY: the loans, their instalments, and the principal outstanding."""
    loans, rows = io.StringIO(), io.StringIO()
    outstanding = Decimal(0)
    for loan_id in range(1, count + 1):
        schedule = TEMPLATES[loan_id % len(TEMPLATES)]
        start = dt.date(2024, 1, 1) + dt.timedelta(days=loan_id * 7919 % 365)
        in_arrears = loan_id % 12 == 0
        dues = [add_months(start, k) for k in range(1, len(schedule.instalments) + 1)]
        past = sum(1 for due in dues if due <= BOOK_DATE)
        paid_through = past - (1 + loan_id % 3 if in_arrears else 0)
        principal = Decimal(0)
        receivable = Decimal(0)
        previous = start
        for index, (row, due) in enumerate(zip(schedule.instalments, dues, strict=True)):
            p, i = row.principal.amount, row.interest.amount
            if index < paid_through:
                values = (p, i, i, "paid", due.isoformat(), p, i)
            elif index < past:
                values = (0, 0, i, "due", r"\N", p, i)
                principal += p
                receivable += i
            else:
                values = (0, 0, 0, "pending", r"\N", p, i)
                principal += p
            paid_p, paid_i, accrued, status, paid_on, due_p, due_i = values
            rows.write(
                f"{loan_id}\t1\t{row.number}\t{previous}\t{due}\t{due_p}\t{due_i}\t0\t0\t"
                f"{paid_p}\t{paid_i}\t0\t0\t{accrued}\t0\t{status}\t{paid_on}\tf\n")
            previous = due
        terms = terms_to_json(schedule.terms)
        terms["start_date"] = start.isoformat()
        amount = schedule.terms.principal.amount
        loans.write(
            f"{loan_id}\t{customer_id}\t{product_id}\tTTD\tactive\t"
            f"{json.dumps(terms)}\t{amount}\t{amount}\t0\t0\t"
            f"{schedule.terms.annual_rate}\t{schedule.terms.term}\tmonthly\t"
            f"declining_equal_instalment\t{start}\t{dues[-1]}\t1\tcredit_balance\t100.00\t5\t0\t"
            f"{principal}\t{receivable}\t{start}\t0\t0\t0\t0\t0\t0\t0\n")
        outstanding += principal
    return loans.getvalue(), rows.getvalue(), outstanding


def load(url: str, count: int, customer_id: int, product_id: int) -> None:
    loans, rows, _ = book_rows(count, customer_id, product_id)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY loans ({LOAN_COLUMNS}) FROM STDIN") as copy:
            copy.write(loans)
        with cursor.copy(f"COPY loan_instalments ({ROW_COLUMNS}) FROM STDIN") as copy:
            copy.write(rows)
        cursor.execute("SELECT setval(pg_get_serial_sequence('loans', 'id'), %s)", (count,))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE loans")
        conn.execute("VACUUM ANALYZE loan_instalments")


async def open_books(url: str) -> float:
    """Post the opening balances, then catch every loan up to the book date; returns its time."""
    engine = make_engine(url, pool_size=1)
    factory = make_session_factory(engine)
    async with unit_of_work(factory) as session:
        totals = await subledger_totals(session)
        principal = Money.of(totals[AccountCode.LOANS_PRINCIPAL])
        interest = Money.of(totals[AccountCode.INTEREST_RECEIVABLE])
        await post_entry(
            session, posting_key="bench:opening", effective_date=BOOK_DATE - dt.timedelta(days=365),
            lines=[Line.dr(AccountCode.LOANS_PRINCIPAL, principal),
                   Line.dr(AccountCode.INTEREST_RECEIVABLE, interest),
                   Line.cr(AccountCode.OWNER_CAPITAL, principal + interest)],
            description="Opening balances of the bench book", actor=ACTOR)
    started = time.perf_counter()
    async with unit_of_work(factory) as session:
        await run_servicing(session, as_of=BOOK_DATE, actor=ACTOR)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def month(url: str, dates: list[dt.date]) -> tuple[float, list[float], bool]:
    """Run servicing for each date (one transaction each); wall time, per-run times, and
    whether the sub-ledger reconciles to the GL afterwards."""
    engine = make_engine(url, pool_size=1)
    factory = make_session_factory(engine)
    times = []
    for day in dates:
        started = time.perf_counter()
        async with unit_of_work(factory) as session:
            await run_servicing(session, as_of=day, actor=ACTOR)
        times.append(time.perf_counter() - started)
    async with unit_of_work(factory) as session:
        matched = (await reconcile_subledger(session, as_of=dates[-1])).matched
    await engine.dispose()
    return sum(times), times, matched


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with scratch_postgres("llb-") as postgres:
        base = postgres.migrated_database("bench_base")
        customer_id, product_id = asyncio.run(prepare(base))
        started = time.perf_counter()
        load(base, count, customer_id, product_id)
        print(f"seeded {count:,} loans with instalments by COPY in "
              f"{time.perf_counter() - started:.1f} s")
        catch_up = asyncio.run(open_books(base))
        print(f"catch-up run through {BOOK_DATE}: {catch_up:.1f} s "
              f"({count / catch_up:,.0f} loans/s)")
        figure(f"catch-up servicing run, {count:,} loans", catch_up, "s")
        for name, dates in (("daily", MONTH), ("month-end", MONTH[-1:])):
            copy = f"bench_{name.replace('-', '_')}"
            postgres.create_database(copy, template="bench_base")
            url = postgres.url(copy)
            wall, times, matched = asyncio.run(month(url, dates))
            per_run = f"; per run {min(times):.2f}–{max(times):.2f} s" if len(times) > 1 else ""
            print(f"January 2025, {name:>9}: {len(dates):>2} run(s) in {wall:6.1f} s "
                  f"({count * len(dates) / wall:,.0f} loan-days/s{per_run}); "
                  f"sub-ledger reconciles to GL: {matched}")
            figure(f"January 2025 {name}, {count:,} loans", wall, "s")


if __name__ == "__main__":
    main()
