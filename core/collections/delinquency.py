"""The daily delinquency run: days past due and bucket per loan, the day's snapshot, cases
opened, moved and closed, promises evaluated, cases rescored, portfolio at risk.

Days past due are computed here from the instalments, as of the run's date, not read from
`loans.days_past_due`: the oldest live instalment due on or before the date that was not
fully paid by then (an instalment paid later counts as unpaid on the date, by its
`paid_on`), so a run for any date gives that date's figure whether or not servicing has
reached it, and a loan due 31 January and unpaid is 30 days past due on 1 March 2024. The
rule is the servicing run's (0 on the due date itself). Arrears are what is still unpaid
on instalments due before the date, and outstanding principal is the loan's balance at run
time. Run it after servicing for the same date, so credit balances are already applied;
`loans_behind_servicing` counts active loans not yet serviced through the date.

Imported accounts are delinquent by the lender's report: their days past due grow by one a
day from the date reported until a re-import says otherwise. They get cases like loans but
stay out of the snapshot and the portfolio at risk, which describe our own book.

Set-based: a handful of INSERT … SELECT / UPDATE … FROM statements over the whole book.
Idempotent for a date: a rerun with nothing changed in between writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.buckets import bucket_sql
from core.collections.case_sync import (
    CaseChanges,
    execute_count,
    prepare_debts,
    rescore,
    sync_cases,
)
from core.collections.promises import PromiseEvaluation, evaluate_promises
from core.collections.reports import PortfolioAtRisk, portfolio_at_risk
from core.customers.models import DEFAULT_TIME_ZONE
from core.loans.bulk import FULLY_PAID_SQL

DELINQUENCY_LOCK: Final = 0x4C4E4443
"""Advisory lock key ("LNDC"): one delinquency run at a time."""
SYSTEM_ACTOR: Final = "system:delinquency"

OWED_SQL: Final = (
    "(i.principal_due - i.principal_paid + i.interest_due - i.interest_paid "
    "+ i.fee_due - i.fee_paid + i.penalty_due - i.penalty_paid)"
)

_LOAN_DEBTS = f"""
INSERT INTO dq_debts (loan_id, customer_id, currency, dpd, bucket, arrears, principal)
SELECT x.id, x.customer_id, x.currency, x.dpd, {bucket_sql("x.dpd")}, x.arrears, x.principal
FROM (
    SELECT l.id, l.customer_id, l.currency, COALESCE(CAST(:as_of AS date) - o.oldest, 0) AS dpd,
           COALESCE(o.arrears, 0) AS arrears, l.principal_outstanding AS principal
    FROM loans l
    LEFT JOIN (
        SELECT i.loan_id, MIN(i.due_date) AS oldest,
               SUM({OWED_SQL}) FILTER (WHERE i.due_date < :as_of) AS arrears
        FROM loan_instalments i
        WHERE i.status <> 'cancelled' AND i.due_date <= :as_of
          AND (NOT {FULLY_PAID_SQL} OR i.paid_on > :as_of)
        GROUP BY i.loan_id
    ) o ON o.loan_id = l.id
    WHERE l.status = 'active'
) x
"""

ACCOUNT_DEBTS: Final = f"""
INSERT INTO dq_debts (account_id, customer_id, currency, dpd, bucket, arrears, principal)
SELECT x.id, x.customer_id, x.currency, x.dpd, {bucket_sql("x.dpd")}, x.arrears, x.principal
FROM (
    SELECT a.id, a.customer_id, a.currency, a.arrears_amount AS arrears,
           a.principal_outstanding AS principal,
           CASE WHEN a.arrears_amount > 0
                THEN GREATEST(a.days_past_due + (CAST(:as_of AS date) - a.dpd_as_of), 0)
                ELSE 0 END AS dpd
    FROM collection_accounts a {{scope}}
) x
"""

_SNAPSHOT = """
INSERT INTO delinquency_snapshots AS s (as_of, loan_id, currency, days_past_due, bucket,
    arrears_amount, principal_outstanding)
SELECT :as_of, loan_id, currency, dpd, bucket, arrears, principal
FROM dq_debts WHERE loan_id IS NOT NULL
ON CONFLICT (as_of, loan_id) DO UPDATE SET
    days_past_due = excluded.days_past_due, bucket = excluded.bucket,
    arrears_amount = excluded.arrears_amount,
    principal_outstanding = excluded.principal_outstanding
WHERE (s.days_past_due, s.bucket, s.arrears_amount, s.principal_outstanding)
    IS DISTINCT FROM (excluded.days_past_due, excluded.bucket, excluded.arrears_amount,
                      excluded.principal_outstanding)
"""

_DROP_STALE = """
DELETE FROM delinquency_snapshots s WHERE s.as_of = :as_of
  AND NOT EXISTS (SELECT 1 FROM dq_debts d WHERE d.loan_id = s.loan_id)
"""

_BEHIND = """
SELECT count(*) FROM loans WHERE status = 'active' AND accrued_through < :as_of
"""

_SAVE_RUN = """
INSERT INTO delinquency_runs AS r (as_of, actor, summary, created_at)
VALUES (:as_of, :actor, CAST(:summary AS jsonb), now())
ON CONFLICT (as_of) DO UPDATE SET summary = excluded.summary, actor = excluded.actor
WHERE r.summary IS DISTINCT FROM excluded.summary
"""


@dataclass(frozen=True, slots=True)
class DelinquencyResult:
    """What a run found and did. `changed` is False for a rerun that had nothing to do."""

    as_of: dt.date
    snapshot_rows_written: int
    cases: CaseChanges
    promises: PromiseEvaluation
    loans_behind_servicing: int
    par: PortfolioAtRisk

    @property
    def changed(self) -> bool:
        cases = self.cases
        return bool(self.snapshot_rows_written or cases.opened or cases.moved or cases.closed
                    or cases.rescored or self.promises.kept or self.promises.broken)


async def run_delinquency(
    session: AsyncSession, *, as_of: dt.date, actor: str = SYSTEM_ACTOR,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> DelinquencyResult:
    """Run collections' daily pass for `as_of` over every active loan and imported account.

    In order: days past due and bucket per debt (see the module docstring); the snapshot of
    every active loan for the date; cases opened for debts past due, moved when their
    bucket or amounts change, closed when cured, paid off, settled or cancelled (audited
    `collections.case_opened|moved|closed`); pending promises evaluated (see
    `core.collections.promises`); every open case rescored (days since contact counted in
    `time_zone`); portfolio at risk from the snapshot, saved on the date's run row.
    Idempotent: a second run for the same date with nothing changed writes nothing.
    Records already loaded in the session are not refreshed; reload them to read the result.
    Audited as `collections.delinquency_run` when it changed something.
    """
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DELINQUENCY_LOCK})
    await session.flush()
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
    await prepare_debts(session)
    params = {"as_of": as_of}
    await session.execute(text(_LOAN_DEBTS), params)
    await session.execute(text(ACCOUNT_DEBTS.format(scope="")), params)
    await session.execute(text("ANALYZE dq_debts"))
    written = await execute_count(session, _SNAPSHOT, params)
    written += await execute_count(session, _DROP_STALE, params)
    cases = await sync_cases(session, as_of=as_of, actor=actor, loans=True, accounts=True)
    promises = await evaluate_promises(session, as_of=as_of, actor=actor)
    rescored = await rescore(session, as_of=as_of, time_zone=time_zone)
    cases = cases + CaseChanges(rescored=rescored)
    behind = int((await session.execute(text(_BEHIND), params)).scalar_one())
    par = await portfolio_at_risk(session, as_of=as_of)
    await session.execute(text(_SAVE_RUN), {
        "as_of": as_of, "actor": actor, "summary": par.model_dump_json()})
    result = DelinquencyResult(as_of=as_of, snapshot_rows_written=written, cases=cases,
                               promises=promises, loans_behind_servicing=behind, par=par)
    if result.changed:
        await trail.record(
            session, actor=actor, action="collections.delinquency_run",
            entity_type="delinquency_run", entity_id=as_of.isoformat(),
            after={"as_of": as_of, "snapshot_rows_written": written,
                   "cases_opened": cases.opened, "cases_moved": cases.moved,
                   "cases_closed": cases.closed, "promises_kept": promises.kept,
                   "promises_broken": promises.broken, "par30": par.line(30).percent},
        )
    return result
