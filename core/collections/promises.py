"""Promises to pay: made on a case, then judged KEPT or BROKEN from the payments received.

- A promise is an amount and a date: more than zero, in the case's currency, dated from
  today up to `MAX_PROMISE_DAYS` ahead, with 0 to `MAX_GRACE_DAYS` days of grace. It may not
  exceed what the borrower could sensibly pay: on a loan, what is unpaid on instalments due
  by today plus the next instalment; on an imported account, the reported arrears plus
  principal. A case holds one pending promise at a time and none while disputed or closed.
- Evaluation as of a date counts the payments on the debt dated from the day the promise was
  made to the promised date plus grace (and not after the evaluation date), recorded after
  the promise was made: repayments, settlements and recoveries on a loan (not reversed), or
  the payments a lender reported on an imported account. Covered → KEPT (possibly early);
  the window over and not covered → BROKEN, which adds one to the case's broken promises.
  Decided promises are final, so evaluating again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.cases import load_case, reference, rescore_case
from core.collections.lifecycle import CaseState
from core.collections.models import CollectionAccount, CollectionCase, PromiseStatus, PromiseToPay
from core.customers.models import DEFAULT_TIME_ZONE
from core.errors import ConflictError, NotFoundError, ValidationError
from core.loans.models import Instalment, InstalmentStatus, TransactionType
from core.money import Money

MAX_PROMISE_DAYS: Final = 30
DEFAULT_GRACE_DAYS: Final = 3
MAX_GRACE_DAYS: Final = 10
PAYMENT_TYPES: Final = (TransactionType.REPAYMENT, TransactionType.SETTLEMENT,
                        TransactionType.RECOVERY)
_TYPES_SQL: Final = ", ".join(f"'{t.value}'" for t in PAYMENT_TYPES)

_EVALUATE = f"""
WITH paid AS (
    SELECT p.id, p.case_id, p.amount, p.promised_date + p.grace_days AS window_end,
        COALESCE((SELECT SUM(t.amount) FROM loan_transactions t
                  WHERE t.loan_id = c.loan_id AND t.type IN ({_TYPES_SQL})
                    AND t.reversed_by_transaction_id IS NULL
                    AND t.effective_date BETWEEN p.made_on
                        AND LEAST(p.promised_date + p.grace_days, :as_of)
                    AND t.created_at >= p.created_at), 0)
        + COALESCE((SELECT SUM(a.amount) FROM collection_account_payments a
                    WHERE a.account_id = c.account_id
                      AND a.paid_on BETWEEN p.made_on
                          AND LEAST(p.promised_date + p.grace_days, :as_of)
                      AND a.created_at >= p.created_at), 0) AS paid
    FROM collection_promises p JOIN collection_cases c ON c.id = p.case_id
    WHERE p.status = 'pending' AND p.made_on <= :as_of {{scope}}
), decided AS (
    SELECT id, case_id, paid, CASE WHEN paid >= amount THEN 'kept' ELSE 'broken' END AS status
    FROM paid WHERE paid >= amount OR window_end < :as_of
), promises AS (
    UPDATE collection_promises p SET status = d.status, paid_amount = d.paid,
        evaluated_on = :as_of
    FROM decided d WHERE p.id = d.id
), cases AS (
    UPDATE collection_cases c SET broken_promises = c.broken_promises + n.broken
    FROM (SELECT case_id, count(*) AS broken FROM decided WHERE status = 'broken'
          GROUP BY case_id) n
    WHERE c.id = n.case_id
)
INSERT INTO audit_events (actor, action, entity_type, entity_id, before, after)
SELECT :actor, 'collections.promise_' || status, 'collection_case', case_id::text,
    jsonb_build_object('promise_id', id, 'status', 'pending'),
    jsonb_build_object('promise_id', id, 'status', status, 'paid_amount', paid::text,
                       'as_of', CAST(:as_of_text AS text))
FROM decided
RETURNING after ->> 'promise_id', after ->> 'status'
"""


@dataclass(frozen=True, slots=True)
class PromiseEvaluation:
    """The promises an evaluation decided: (promise id, KEPT or BROKEN)."""

    decided: tuple[tuple[int, PromiseStatus], ...] = ()

    @property
    def kept(self) -> int:
        return sum(1 for _, status in self.decided if status is PromiseStatus.KEPT)

    @property
    def broken(self) -> int:
        return sum(1 for _, status in self.decided if status is PromiseStatus.BROKEN)


async def evaluate_promises(
    session: AsyncSession, *, as_of: dt.date, actor: str, case_id: int | None = None
) -> PromiseEvaluation:
    """Judge every pending promise (or those of one case) as of `as_of` (module docstring).

    Audited `collections.promise_kept|broken` on the case. Idempotent."""
    await session.flush()
    rows = await session.execute(
        text(_EVALUATE.format(scope="" if case_id is None else "AND p.case_id = :case_id")),
        {"as_of": as_of, "as_of_text": as_of.isoformat(), "actor": actor, "case_id": case_id},
    )
    return PromiseEvaluation(tuple(sorted((int(i), PromiseStatus(s)) for i, s in rows)))


async def _ceiling(session: AsyncSession, case: CollectionCase, today: dt.date) -> Money:
    if case.account_id is not None:
        account = await session.get(CollectionAccount, case.account_id)
        assert account is not None  # a foreign key guarantees it
        return Money.of(account.arrears_amount + account.principal_outstanding, case.currency)
    rows = list(await session.scalars(
        select(Instalment).where(Instalment.loan_id == case.loan_id,
                                 Instalment.status != InstalmentStatus.CANCELLED)
        .order_by(Instalment.due_date, Instalment.number)))
    owed = [row.principal_due - row.principal_paid + row.interest_due - row.interest_paid
            + row.fee_due - row.fee_paid + row.penalty_due - row.penalty_paid for row in rows]
    due_now = sum((o for row, o in zip(rows, owed, strict=True) if row.due_date <= today),
                  Decimal(0))
    upcoming = [o for row, o in zip(rows, owed, strict=True) if row.due_date > today and o > 0]
    return Money.of(due_now + (upcoming[0] if upcoming else 0), case.currency)


async def create_promise(
    session: AsyncSession, *, case_id: int, amount: Money, promised_date: dt.date,
    today: dt.date, actor: str, grace_days: int = DEFAULT_GRACE_DAYS,
    max_days: int = MAX_PROMISE_DAYS,
) -> PromiseToPay:
    """Record a promise to pay `amount` by `promised_date` (rules in the module docstring).

    Refused, leaving the database unchanged: an amount that is not positive, in another
    currency or above the ceiling, a date in the past or too far ahead, grace days out of
    range (`ValidationError`); a case closed, disputed or holding a pending promise
    (`ConflictError`); an unknown case (`NotFoundError`). Audited `collections.promise_made`.
    """
    case = await load_case(session, case_id, lock=True)
    if case.state in (CaseState.CLOSED, CaseState.DISPUTED):
        raise ConflictError(f"Case {reference(case)} is {case.state.value}; it takes no promises.")
    if not isinstance(amount, Money) or not amount.is_positive():
        raise ValidationError(f"A promise must be for more than zero, not {amount}.")
    if amount.currency != case.currency:
        raise ValidationError(f"Case {reference(case)} is in {case.currency}, "
                              f"not {amount.currency}.")
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise ValidationError(f"Grace days must be 0 to {MAX_GRACE_DAYS}, not {grace_days}.")
    latest = today + dt.timedelta(days=max_days)
    if not today <= promised_date <= latest:
        raise ValidationError(
            f"A promise must be dated from today ({today:%d %B %Y}) to {latest:%d %B %Y} "
            f"({max_days} days); {promised_date:%d %B %Y} is outside that."
        )
    ceiling = await _ceiling(session, case, today)
    if amount > ceiling:
        raise ValidationError(f"A promise of {amount} is more than the {ceiling} owed now "
                              "plus the next instalment.")
    pending = await session.scalar(select(PromiseToPay).where(
        PromiseToPay.case_id == case.id, PromiseToPay.status == PromiseStatus.PENDING))
    if pending is not None:
        raise ConflictError(
            f"There is already a promise of {Money.of(pending.amount, pending.currency)} due "
            f"{pending.promised_date:%d %B %Y}; a new one can be recorded once it is kept or "
            "cancelled."
        )
    promise = PromiseToPay(case_id=case.id, amount=amount.amount, currency=amount.currency,
                           made_on=today, promised_date=promised_date, grace_days=grace_days,
                           status=PromiseStatus.PENDING, actor=actor)
    session.add(promise)
    await session.flush()
    await trail.record(session, actor=actor, action="collections.promise_made",
                       entity_type="collection_case", entity_id=case.id,
                       after={"promise_id": promise.id, "amount": amount.amount,
                              "promised_date": promised_date, "grace_days": grace_days})
    return promise


async def cancel_promise(
    session: AsyncSession, *, case_id: int, promise_id: int, reason: str, actor: str
) -> PromiseToPay:
    """Withdraw a pending promise (the borrower asked to change it), with a reason.
    A decided or cancelled promise cannot be cancelled (`ConflictError`)."""
    promise = await session.get(PromiseToPay, promise_id, with_for_update=True)
    if promise is None or promise.case_id != case_id:
        raise NotFoundError(f"Case {case_id} has no promise {promise_id}.")
    if not reason.strip():
        raise ValidationError("Say why the promise is cancelled.")
    if promise.status is not PromiseStatus.PENDING:
        raise ConflictError(f"Promise {promise_id} is {promise.status.value}; "
                            "only a pending promise can be cancelled.")
    promise.status = PromiseStatus.CANCELLED
    await session.flush()
    await trail.record(session, actor=actor, action="collections.promise_cancelled",
                       entity_type="collection_case", entity_id=case_id,
                       before={"promise_id": promise_id, "status": "pending"},
                       after={"promise_id": promise_id, "status": "cancelled",
                              "reason": reason.strip()})
    return promise


async def evaluate_case_promises(
    session: AsyncSession, *, case_id: int, as_of: dt.date, actor: str,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> PromiseEvaluation:
    """`evaluate_promises` for one case, rescoring it when a promise was broken."""
    await load_case(session, case_id, lock=True)
    evaluation = await evaluate_promises(session, as_of=as_of, actor=actor, case_id=case_id)
    if evaluation.broken:
        case = await load_case(session, case_id)
        rescore_case(case, today=as_of, time_zone=time_zone)
        await session.flush()
    return evaluation
