"""Machinery shared by the set-based servicing steps (accrual, due processing, late fees).

A step works on a `Scope`: every active loan (the nightly run) or one loan (brought up to
date before an operation on it), with the same SQL. It stages its per-instalment amounts in
the temporary table `svc_rows`, posts ONE journal entry for the step's totals, then writes
the per-loan transactions and their allocations with one INSERT … SELECT each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.ledger.lines import Line
from core.ledger.posting import post_entry
from core.loans.models import Component, ServicingRun, TransactionType
from core.money import Money

UNPAID_SQL = (
    "(i.principal_due - i.principal_paid + i.interest_accrued - i.interest_paid "
    "+ i.fee_due - i.fee_paid + i.penalty_due - i.penalty_paid)"
)
FULLY_PAID_SQL = (
    "(i.principal_paid = i.principal_due AND i.interest_paid = i.interest_due "
    "AND i.fee_paid = i.fee_due AND i.penalty_paid = i.penalty_due)"
)

_STAGE = """
CREATE TEMPORARY TABLE IF NOT EXISTS svc_rows (
    kind text NOT NULL, loan_id bigint NOT NULL,
    instalment_id bigint, component text NOT NULL, amount numeric(18, 2) NOT NULL
) ON COMMIT DELETE ROWS
"""

_RECORD = """
WITH transactions AS (
    INSERT INTO loan_transactions (loan_id, type, amount, balance_change, effective_date,
        idempotency_key, journal_entry_id, actor, description, created_at)
    SELECT loan_id, :type, SUM(amount) FILTER (WHERE component <> 'credit'),
        :sign * SUM(amount) FILTER (WHERE component <> 'credit'), :as_of,
        :key_prefix || loan_id, :entry_id, :actor, :description, now()
    FROM svc_rows WHERE kind = :kind GROUP BY loan_id
    RETURNING id, loan_id
)
INSERT INTO loan_allocations (transaction_id, instalment_id, component, amount)
SELECT t.id, s.instalment_id, s.component, s.amount
FROM svc_rows s JOIN transactions t ON t.loan_id = s.loan_id
WHERE s.kind = :kind
"""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which loans a step touches: all active loans, or one."""

    as_of: dt.date
    loan_id: int | None = None

    def only(self, column: str) -> str:
        """A SQL condition limiting `column` (a loan id) to the scope; empty for all loans."""
        return "" if self.loan_id is None else f" AND {column} = :loan_id"

    @property
    def params(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "loan_id": self.loan_id}


@dataclass(slots=True)
class Run:
    """One servicing pass. Its row in `servicing_runs` is created only once a step has
    something to post, so a pass that changes nothing leaves no trace."""

    session: AsyncSession
    scope: Scope
    actor: str
    currency: str
    record: ServicingRun | None = None
    summary: dict[str, str] = field(default_factory=dict)

    @property
    def tag(self) -> int:
        """The loan id to give a posting rule: the loan's, or a placeholder for a portfolio
        entry (the rules tag every line with one loan; `post` replaces the tag)."""
        return self.scope.loan_id or 0

    async def run_id(self) -> int:
        if self.record is None:
            self.record = ServicingRun(
                as_of=self.scope.as_of, loan_id=self.scope.loan_id, summary={}
            )
            self.session.add(self.record)
            await self.session.flush()
        return self.record.id

    async def execute(self, sql: str, **params: Any) -> Any:
        return await self.session.execute(text(sql), {**self.scope.params, **params})

    async def stage(self, kind: str, select_sql: str, **params: Any) -> dict[Component, Money]:
        """Insert a step's rows (`loan_id, instalment_id, component, amount`) and return
        their totals by component (empty when there is nothing to do)."""
        return await self.stage_statement(
            kind,
            "INSERT INTO svc_rows (kind, loan_id, instalment_id, component, amount) "
            f"SELECT :kind, * FROM ({select_sql}) staged", **params,
        )

    async def stage_statement(self, kind: str, sql: str, **params: Any) -> dict[Component, Money]:
        """`stage` for a statement that inserts the `kind` rows itself."""
        await self.execute(sql, kind=kind, **params)
        if self.scope.loan_id is None:
            await self.execute("ANALYZE svc_rows")
        rows = await self.execute(
            "SELECT component, sum(amount) FROM svc_rows WHERE kind = :kind GROUP BY component",
            kind=kind,
        )
        return {Component(c): Money.of(amount, self.currency) for c, amount in rows if amount}

    async def post(
        self, kind: str, lines: list[Line], description: str
    ) -> int:
        """Post the step's entry; lines carry the loan's id only when the scope is one loan."""
        run_id = await self.run_id()
        tagged = [
            Line(line.account, debit=line.debit, credit=line.credit, loan_id=self.scope.loan_id)
            for line in lines
        ]
        entry = await post_entry(
            self.session, posting_key=f"servicing:{self.scope.as_of}:run-{run_id}:{kind}",
            effective_date=self.scope.as_of, lines=tagged, description=description,
            source_type="servicing_run", source_id=run_id, actor=self.actor,
        )
        self.summary[kind] = str(entry.total)
        return entry.id

    async def record_transactions(
        self, *, kind: str, type: TransactionType, key_prefix: str, entry_id: int,
        description: str, sign: int,
    ) -> None:
        """One transaction per loan with one allocation per staged row."""
        await self.execute(
            _RECORD, kind=kind, type=type.value, key_prefix=key_prefix, entry_id=entry_id,
            actor=self.actor, description=description, sign=sign,
        )

    async def finish(self) -> None:
        if self.record is not None:
            self.record.summary = dict(self.summary)
            await self.session.flush()


async def prepare_staging(session: AsyncSession) -> None:
    """Create (once per connection) and empty the staging table."""
    await session.execute(text(_STAGE))
    await session.execute(text("TRUNCATE svc_rows"))
