"""Daily interest accrual.

Method: each instalment's scheduled interest `I` is earned evenly over the actual days of its
period, from `period_start` (the previous due date, or the disbursement or restructure date)
to its `due_date` (`n` days). Accrued through date `D` is

    carried + ⌊(I − carried) × min(max(D − period_start, 0), n) / n⌋   (to the cent, down)

where `carried` is interest already accrued under an earlier schedule version and owed with
this instalment (zero otherwise). Rounding down keeps every day's increment ≥ 0 and never
ahead of time; on the due date the formula gives exactly `I`, so the last day absorbs the
rounding and interest receivable on a due date equals the scheduled interest. Because the
target is a function of the date alone, accruing through a date twice posts nothing the
second time, and a missed night is caught up by the next run. No interest accrues after the
last due date (late payment is charged through late fees).

`accrue` writes the increments set-based: a per-instalment staging row, one ACCRUAL
transaction per loan with one allocation per instalment, and one journal entry (interest
receivable / interest income) for the whole scope.
"""

from __future__ import annotations

from core.ledger import rules
from core.loans.bulk import Run
from core.loans.models import Component, TransactionType
from core.money import Money

_TARGET = """
    i.interest_carried + COALESCE(
        div((i.interest_due - i.interest_carried) * 100
            * LEAST(GREATEST(:as_of - i.period_start, 0), i.due_date - i.period_start),
            NULLIF(i.due_date - i.period_start, 0)) / 100,
        i.interest_due - i.interest_carried)
"""

# Rows in their period are PENDING; a DUE row is behind only if an accrual was reversed.
# One statement moves each row to its target and stages the increment (the subquery reads
# the row's old value in the same snapshot, so target − old is what the UPDATE added).
_ACCRUE = f"""
WITH changed AS (
    UPDATE loan_instalments u SET interest_accrued = t.target
    FROM (
        SELECT i.ctid AS row_id, i.id, i.loan_id, i.interest_accrued AS old, target
        FROM loan_instalments i
        JOIN loans l ON l.id = i.loan_id AND l.status = 'active'
        CROSS JOIN LATERAL (SELECT {_TARGET} AS target) x
        WHERE ((i.status = 'pending' AND i.period_start < :as_of)
               OR (i.status = 'due' AND i.interest_accrued < i.interest_due))
          AND target > i.interest_accrued {{scope}}
    ) t
    WHERE u.ctid = t.row_id
    RETURNING t.loan_id, t.id, t.target - t.old AS amount
)
INSERT INTO svc_rows (kind, loan_id, instalment_id, component, amount)
SELECT 'accrual', loan_id, id, 'interest', amount FROM changed
"""


async def accrue(run: Run) -> Money:
    """Accrue interest through `run.scope.as_of` on every active loan in scope; returns the
    total accrued (zero when everything was already accrued through that date)."""
    scope = run.scope
    totals = await run.stage_statement("accrual", _ACCRUE.format(scope=scope.only("i.loan_id")))
    accrued = totals.get(Component.INTEREST)
    if accrued is None:
        return Money.zero(run.currency)
    lines = rules.interest_accrual(loan_id=run.tag, amount=accrued)
    entry_id = await run.post("accrual", lines, f"Interest accrued through {scope.as_of}")
    await run.record_transactions(
        kind="accrual", type=TransactionType.ACCRUAL,
        key_prefix=f"accrual:{scope.as_of}:run-{await run.run_id()}:loan-",
        entry_id=entry_id, description=f"Interest accrued through {scope.as_of}", sign=1,
    )
    return accrued
