"""Set-based case upkeep from a table of debts and their days past due.

The caller fills the temporary table `dq_debts` (one row per loan or imported account: its
days past due, bucket, arrears and principal); these statements then open a case for each
debt past due without an open case, move open cases whose bucket, days or arrears changed
(an imported account's case also follows its link to our customer),
close cases whose debt is cured or gone, and rescore open cases. Every case opened, moved
to another bucket or closed gets its audit event in the same statement. Each statement
changes nothing when run again with the same table, which is what makes the daily run
idempotent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.priority import priority_sql

CREATE_DEBTS: Final = """
CREATE TEMPORARY TABLE IF NOT EXISTS dq_debts (
    loan_id bigint, account_id bigint, customer_id bigint, currency text NOT NULL,
    dpd integer NOT NULL, bucket text NOT NULL, arrears numeric(18, 2) NOT NULL,
    principal numeric(18, 2) NOT NULL
) ON COMMIT DELETE ROWS
"""

_AUDIT = "INSERT INTO audit_events (actor, action, entity_type, entity_id, before, after) "

_OPEN = f"""
WITH opened AS (
    INSERT INTO collection_cases (loan_id, account_id, customer_id, currency, state, bucket,
        days_past_due, arrears_amount, opened_on, priority, broken_promises, created_at,
        state_changed_at)
    SELECT d.loan_id, d.account_id, d.customer_id, d.currency, 'new', d.bucket, d.dpd,
        d.arrears, :as_of, 0, 0, now(), now()
    FROM dq_debts d
    WHERE d.dpd > 0
      AND NOT EXISTS (SELECT 1 FROM collection_cases c
                      WHERE c.loan_id = d.loan_id AND c.state <> 'closed')
      AND NOT EXISTS (SELECT 1 FROM collection_cases c
                      WHERE c.account_id = d.account_id AND c.state <> 'closed')
    RETURNING id, loan_id, account_id, bucket, days_past_due, arrears_amount
)
{_AUDIT}
SELECT :actor, 'collections.case_opened', 'collection_case', id::text, NULL,
    jsonb_build_object('loan_id', loan_id, 'account_id', account_id, 'bucket', bucket,
                       'days_past_due', days_past_due, 'arrears_amount', arrears_amount::text,
                       'as_of', CAST(:as_of_text AS text))
FROM opened
"""

_MOVE = f"""
WITH changes AS (
    SELECT c.id, c.bucket AS old_bucket, d.bucket AS new_bucket, d.dpd, d.arrears,
        d.customer_id
    FROM collection_cases c JOIN dq_debts d ON d.{{subject}} = c.{{subject}}
    WHERE c.state <> 'closed' AND d.dpd > 0
      AND (c.bucket, c.days_past_due, c.arrears_amount, c.customer_id)
          IS DISTINCT FROM (d.bucket, d.dpd, d.arrears, d.customer_id)
), moved AS (
    UPDATE collection_cases c
    SET bucket = x.new_bucket, days_past_due = x.dpd, arrears_amount = x.arrears,
        customer_id = x.customer_id
    FROM changes x WHERE c.id = x.id
)
{_AUDIT}
SELECT :actor, 'collections.case_moved', 'collection_case', id::text,
    jsonb_build_object('bucket', old_bucket),
    jsonb_build_object('bucket', new_bucket, 'days_past_due', dpd,
                       'as_of', CAST(:as_of_text AS text))
FROM changes WHERE old_bucket <> new_bucket
"""

_CLOSE = f"""
WITH closing AS (
    SELECT c.id, c.state AS old_state, {{reason}} AS reason
    FROM collection_cases c {{source}}
    WHERE c.state <> 'closed' {{condition}}
), closed AS (
    UPDATE collection_cases c
    SET state = 'closed', closed_on = :as_of, close_reason = x.reason, bucket = 'current',
        days_past_due = 0, arrears_amount = 0, state_changed_at = now()
    FROM closing x WHERE c.id = x.id
)
{_AUDIT}
SELECT :actor, 'collections.case_closed', 'collection_case', id::text,
    jsonb_build_object('state', old_state),
    jsonb_build_object('state', 'closed', 'close_reason', reason,
                       'as_of', CAST(:as_of_text AS text))
FROM closing
"""

CLOSE_LOANS: Final = _CLOSE.format(
    reason="CASE l.status WHEN 'active' THEN 'cured' WHEN 'paid_off' THEN 'paid_off' "
           "WHEN 'settled' THEN 'settled' ELSE 'cancelled' END",
    source="JOIN loans l ON l.id = c.loan_id LEFT JOIN dq_debts d ON d.loan_id = c.loan_id",
    condition="AND l.status <> 'written_off' AND COALESCE(d.dpd, 0) = 0",
)
"""Written-off loans keep their case open: recoveries are still collected."""

CLOSE_ACCOUNTS: Final = _CLOSE.format(
    reason="'cured'", source="JOIN dq_debts d ON d.account_id = c.account_id",
    condition="AND d.dpd = 0",
)

_SCORE = priority_sql(
    bucket="bucket", arrears="arrears_amount", broken="broken_promises",
    days_since_contact="(CAST(:as_of AS date) - (last_contact_at AT TIME ZONE :tz)::date)",
)
_RESCORE = f"""
UPDATE collection_cases c SET priority = p.score
FROM (
    SELECT id, {_SCORE} AS score
    FROM collection_cases WHERE state <> 'closed' {{scope}}
) p
WHERE c.id = p.id AND c.priority <> p.score
"""

ACCOUNT_SCOPE: Final = " AND account_id IN (SELECT account_id FROM dq_debts)"


@dataclass(frozen=True, slots=True)
class CaseChanges:
    opened: int = 0
    moved: int = 0
    closed: int = 0
    rescored: int = 0

    def __add__(self, other: CaseChanges) -> CaseChanges:
        return CaseChanges(self.opened + other.opened, self.moved + other.moved,
                           self.closed + other.closed, self.rescored + other.rescored)


async def prepare_debts(session: AsyncSession) -> None:
    """Create (once per connection) and empty `dq_debts`."""
    await session.execute(text(CREATE_DEBTS))
    await session.execute(text("TRUNCATE dq_debts"))


async def execute_count(session: AsyncSession, sql: str, params: dict[str, Any]) -> int:
    """Run one statement; returns the rows it wrote."""
    result = cast(CursorResult[Any], await session.execute(text(sql), params))
    return result.rowcount


async def sync_cases(
    session: AsyncSession, *, as_of: dt.date, actor: str, loans: bool, accounts: bool
) -> CaseChanges:
    """Open, move and close cases for the debts in `dq_debts`: loans and/or accounts."""
    params = {"as_of": as_of, "as_of_text": as_of.isoformat(), "actor": actor}
    opened = await execute_count(session, _OPEN, params)
    moved = closed = 0
    if loans:
        moved += await execute_count(session, _MOVE.format(subject="loan_id"), params)
        closed += await execute_count(session, CLOSE_LOANS, params)
    if accounts:
        moved += await execute_count(session, _MOVE.format(subject="account_id"), params)
        closed += await execute_count(session, CLOSE_ACCOUNTS, params)
    return CaseChanges(opened=opened, moved=moved, closed=closed)


async def rescore(session: AsyncSession, *, as_of: dt.date, time_zone: str, scope: str = "") -> int:
    """Recompute the priority of open cases (all, or those `scope` selects); returns how many
    scores changed."""
    params = {"as_of": as_of, "tz": time_zone}
    return await execute_count(session, _RESCORE.format(scope=scope), params)
