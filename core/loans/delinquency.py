"""Due processing, credit balances, late fees, days past due and arrears (set-based).

- Due processing: an instalment whose due date has come becomes DUE (or PAID if nothing is
  owed on it); then a loan's credit balance is applied to its DUE instalments in the order of
  `core.loans.allocation` (oldest first; penalties, fees, interest, principal).
- Late fee: the loan's `late_fee` is charged as a penalty on an instalment still unpaid more
  than `late_fee_grace_days` days after its due date, once per instalment ever (its
  `late_fee_charged` flag stays set: reversing the fee waives it, it is not charged again).
- Days past due: days from the oldest unpaid due date to the servicing date (0 when nothing
  due is unpaid, and on the due date itself). Arrears: what is unpaid on instalments due
  before the servicing date, so arrears are positive exactly when days past due are.
- A loan with nothing left to pay and no instalment still to fall due becomes PAID_OFF.
"""

from __future__ import annotations

from core.ledger import rules
from core.loans.bulk import FULLY_PAID_SQL, UNPAID_SQL, Run
from core.loans.models import Component, TransactionType
from core.money import Money

_FALL_DUE = f"""
UPDATE loan_instalments i
SET status = CASE WHEN {FULLY_PAID_SQL} THEN 'paid' ELSE 'due' END,
    paid_on = CASE WHEN {FULLY_PAID_SQL} THEN i.due_date END
FROM loans l
WHERE l.id = i.loan_id AND l.status = 'active' AND i.status = 'pending'
  AND i.period_start < :as_of AND i.due_date <= :as_of {{scope}}
"""

_STAGE_CREDIT = """
WITH owed AS (
    SELECT i.loan_id, i.id AS instalment_id, x.component,
           LEAST(x.owed, GREATEST(l.credit_balance - (SUM(x.owed) OVER w - x.owed), 0)) AS paid
    FROM loans l
    JOIN loan_instalments i ON i.loan_id = l.id AND i.status = 'due'
    CROSS JOIN LATERAL (VALUES
        (1, 'penalty', i.penalty_due - i.penalty_paid),
        (2, 'fee', i.fee_due - i.fee_paid),
        (3, 'interest', i.interest_accrued - i.interest_paid),
        (4, 'principal', i.principal_due - i.principal_paid)) x(ord, component, owed)
    WHERE l.status = 'active' AND l.credit_balance > 0 AND x.owed > 0 {scope}
    WINDOW w AS (PARTITION BY i.loan_id ORDER BY i.due_date, i.number, x.ord
                 ROWS UNBOUNDED PRECEDING)
)
SELECT loan_id, instalment_id, component, paid FROM owed WHERE paid > 0
UNION ALL
SELECT loan_id, NULL, 'credit', -SUM(paid) FROM owed WHERE paid > 0 GROUP BY loan_id
"""

_APPLY_CREDIT = f"""
UPDATE loan_instalments i
SET penalty_paid = i.penalty_paid + s.penalty, fee_paid = i.fee_paid + s.fee,
    interest_paid = i.interest_paid + s.interest, principal_paid = i.principal_paid + s.principal
FROM (
    SELECT instalment_id,
           COALESCE(SUM(amount) FILTER (WHERE component = 'penalty'), 0) AS penalty,
           COALESCE(SUM(amount) FILTER (WHERE component = 'fee'), 0) AS fee,
           COALESCE(SUM(amount) FILTER (WHERE component = 'interest'), 0) AS interest,
           COALESCE(SUM(amount) FILTER (WHERE component = 'principal'), 0) AS principal
    FROM svc_rows WHERE kind = 'credit' AND instalment_id IS NOT NULL GROUP BY instalment_id
) s
WHERE i.id = s.instalment_id;

UPDATE loan_instalments i SET status = 'paid', paid_on = :as_of
FROM (SELECT DISTINCT instalment_id FROM svc_rows WHERE kind = 'credit') s
WHERE i.id = s.instalment_id AND {FULLY_PAID_SQL}
"""

_STAGE_LATE_FEES = """
SELECT i.loan_id, i.id, 'penalty', l.late_fee
FROM loan_instalments i
JOIN loans l ON l.id = i.loan_id
WHERE i.status = 'due' AND NOT i.late_fee_charged AND l.status = 'active' AND l.late_fee > 0
  AND i.due_date + l.late_fee_grace_days < :as_of {scope}
"""

_APPLY_LATE_FEES = """
UPDATE loan_instalments i SET penalty_due = i.penalty_due + s.amount, late_fee_charged = true
FROM svc_rows s WHERE s.kind = 'late_fee' AND i.id = s.instalment_id
"""

_REFRESH_LOANS = f"""
WITH d AS (
    SELECT loan_id,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'accrual'), 0) AS accrued,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'late_fee'), 0) AS charged,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'credit' AND component = 'penalty'), 0)
               AS penalty_paid,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'credit' AND component = 'fee'), 0)
               AS fee_paid,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'credit' AND component = 'interest'), 0)
               AS interest_paid,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'credit' AND component = 'principal'), 0)
               AS principal_paid,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'credit' AND component = 'credit'), 0)
               AS credit_change
    FROM svc_rows GROUP BY loan_id
), q AS (
    SELECT i.loan_id, MIN(i.due_date) AS oldest,
           SUM({UNPAID_SQL}) FILTER (WHERE i.due_date < GREATEST(l1.accrued_through, :as_of))
               AS arrears
    FROM loan_instalments i JOIN loans l1 ON l1.id = i.loan_id
    WHERE i.status = 'due' AND l1.status = 'active' {{scope}}
    GROUP BY i.loan_id
)
UPDATE loans l SET
    accrued_through = GREATEST(l.accrued_through, :as_of),
    interest_receivable = l.interest_receivable + x.accrued - x.interest_paid,
    penalties_outstanding = l.penalties_outstanding + x.charged - x.penalty_paid,
    fees_outstanding = l.fees_outstanding - x.fee_paid,
    principal_outstanding = l.principal_outstanding - x.principal_paid,
    credit_balance = l.credit_balance + x.credit_change,
    oldest_unpaid_due_date = x.oldest,
    days_past_due = COALESCE(GREATEST(l.accrued_through, :as_of) - x.oldest, 0),
    arrears_amount = COALESCE(x.arrears, 0)
FROM (
    SELECT COALESCE(d.loan_id, q.loan_id) AS id, q.oldest, q.arrears,
           COALESCE(d.accrued, 0) AS accrued, COALESCE(d.charged, 0) AS charged,
           COALESCE(d.penalty_paid, 0) AS penalty_paid, COALESCE(d.fee_paid, 0) AS fee_paid,
           COALESCE(d.interest_paid, 0) AS interest_paid,
           COALESCE(d.principal_paid, 0) AS principal_paid,
           COALESCE(d.credit_change, 0) AS credit_change
    FROM d FULL JOIN q ON q.loan_id = d.loan_id
) x
WHERE l.id = x.id AND l.status = 'active'
"""

# Loans with nothing staged and nothing due: only the date moves (and a cured loan's
# arrears clear).
_REFRESH_QUIET = """
UPDATE loans l SET accrued_through = GREATEST(l.accrued_through, :as_of),
    oldest_unpaid_due_date = NULL, days_past_due = 0, arrears_amount = 0
WHERE l.status = 'active' {scope}
  AND (l.accrued_through < :as_of OR l.oldest_unpaid_due_date IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM svc_rows s WHERE s.loan_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM loan_instalments i WHERE i.loan_id = l.id AND i.status = 'due')
"""

_CLOSE_PAID_OFF = """
UPDATE loans l SET status = 'paid_off', closed_on = GREATEST(l.accrued_through, :as_of),
    days_past_due = 0, oldest_unpaid_due_date = NULL, arrears_amount = 0
WHERE l.status = 'active' AND l.principal_outstanding = 0 AND l.interest_receivable = 0
  AND l.fees_outstanding = 0 AND l.penalties_outstanding = 0 {scope}
  AND NOT EXISTS (SELECT 1 FROM loan_instalments i
                  WHERE i.loan_id = l.id AND i.status IN ('pending', 'due'))
RETURNING l.id
"""


async def fall_due(run: Run) -> int:
    """Mark instalments due through the servicing date; returns how many fell due."""
    result = await run.execute(_FALL_DUE.format(scope=run.scope.only("l.id")))
    count: int = result.rowcount
    return count


async def apply_credit(run: Run) -> Money:
    """Use credit balances for DUE instalments; returns the total applied."""
    totals = await run.stage("credit", _STAGE_CREDIT.format(scope=run.scope.only("l.id")))
    used = totals.get(Component.CREDIT)
    if used is None:
        return Money.zero(run.currency)
    applied = -used
    zero = Money.zero(run.currency)
    lines = rules.repayment(
        loan_id=run.tag, received=applied,
        penalties=totals.get(Component.PENALTY, zero), fees=totals.get(Component.FEE, zero),
        interest=totals.get(Component.INTEREST, zero),
        principal=totals.get(Component.PRINCIPAL, zero),
        received_into=rules.ReceivedInto.CUSTOMER_CREDIT,
    )
    entry_id = await run.post("credit", lines, f"Credit balances applied on {run.scope.as_of}")
    for statement in _APPLY_CREDIT.split(";"):
        await run.execute(statement)
    await run.record_transactions(
        kind="credit", type=TransactionType.CREDIT_APPLIED,
        key_prefix=f"credit:{run.scope.as_of}:run-{await run.run_id()}:loan-",
        entry_id=entry_id, description="Credit balance applied to instalments due", sign=0,
    )
    return applied


async def charge_late_fees(run: Run) -> Money:
    """Charge each loan's late fee on instalments unpaid past the grace days; returns the
    total charged."""
    totals = await run.stage("late_fee", _STAGE_LATE_FEES.format(scope=run.scope.only("l.id")))
    charged = totals.get(Component.PENALTY)
    if charged is None:
        return Money.zero(run.currency)
    lines = rules.charge(loan_id=run.tag, amount=charged, kind=rules.ChargeKind.PENALTY)
    entry_id = await run.post("late_fee", lines, f"Late fees charged on {run.scope.as_of}")
    await run.execute(_APPLY_LATE_FEES)
    await run.record_transactions(
        kind="late_fee", type=TransactionType.PENALTY,
        key_prefix=f"late-fee:{run.scope.as_of}:run-{await run.run_id()}:loan-",
        entry_id=entry_id, description="Late fee", sign=1,
    )
    return charged


async def refresh_loans(run: Run) -> list[int]:
    """Fold the staged amounts into the loans' cached balances, recompute days past due and
    arrears, and close loans with nothing left; returns the ids of loans paid off."""
    scope = run.scope
    await run.execute(_REFRESH_LOANS.format(scope=scope.only("l1.id")))
    await run.execute(_REFRESH_QUIET.format(scope=scope.only("l.id")))
    closed = await run.execute(_CLOSE_PAID_OFF.format(scope=scope.only("l.id")))
    return [loan_id for (loan_id,) in closed]
