"""Fees and penalties charged to a loan by staff (late fees are charged by the servicing run).

A charge sits on an instalment so the allocation order can pay it: the oldest DUE instalment
with something unpaid, else the next one to fall due.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, ValidationError
from core.ledger import rules
from core.loans.models import Component, InstalmentStatus, LoanStatus, LoanTransaction
from core.loans.models import TransactionType as T
from core.loans.settlement import owed_total
from core.loans.transactions import (
    Posting,
    check_key,
    instalments,
    payload_digest,
    recompute_balances,
    record_transaction,
    refresh_delinquency,
    replayed,
    set_status,
    up_to_date,
)
from core.money import Money

KINDS = {
    rules.ChargeKind.FEE: (T.FEE, Component.FEE, "fee_due"),
    rules.ChargeKind.PENALTY: (T.PENALTY, Component.PENALTY, "penalty_due"),
}


async def charge(
    session: AsyncSession,
    *,
    loan_id: int,
    amount: Money,
    kind: rules.ChargeKind,
    on: dt.date,
    reason: str,
    actor: str,
    idempotency_key: str,
) -> LoanTransaction:
    """Charge a fee (servicing fee income) or a penalty (penalty income) to an ACTIVE loan.

    Idempotent by key. Refused, changing nothing: a zero or negative amount, no reason
    (`ValidationError`); a loan that is not active or has no instalment left to carry the
    charge (`ConflictError`).
    """
    key = check_key(idempotency_key)
    if not isinstance(amount, Money) or not amount.is_positive():
        raise ValidationError(f"A charge must be more than zero, not {amount}.")
    if not reason.strip():
        raise ValidationError("A charge needs a reason.")
    kind = rules.ChargeKind(kind)
    digest = payload_digest({"loan_id": loan_id, "amount": amount.amount, "kind": kind.value,
                             "on": on, "reason": reason.strip()})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await up_to_date(session, loan_id=loan_id, as_of=on, actor=actor)
        if loan.status is not LoanStatus.ACTIVE:
            raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}; "
                                "it cannot be charged.")
        if amount.currency != loan.currency:
            raise ValidationError(f"Loan {loan.number} is kept in {loan.currency}.")
        rows = await instalments(session, loan.id)
        target = next((r for r in rows if r.status is InstalmentStatus.DUE), None) or next(
            (r for r in rows if r.status is InstalmentStatus.PENDING), None)
        if target is None:
            raise ConflictError(f"Loan {loan.number} has no instalment left to carry a charge.")
        type_, component, column = KINDS[kind]
        before = owed_total(loan)
        setattr(target, column, getattr(target, column) + amount.amount)
        set_status(target, serviced_through=loan.accrued_through, paid_on=on)
        recompute_balances(loan, rows)
        transaction = await record_transaction(
            session, loan=loan, type=type_, amount=amount,
            balance_change=owed_total(loan) - before, effective_date=on, key=key,
            digest=digest, lines=rules.charge(loan_id=loan.id, amount=amount, kind=kind),
            description=reason.strip(), actor=actor,
            postings=[Posting(target.id, component, amount)],
        )
        await refresh_delinquency(session, loan, as_of=on)
        await trail.record(
            session, actor=actor, action=f"loan.{kind.value}_charged", entity_type="loan",
            entity_id=loan.id, after={"amount": amount.amount, "instalment": target.number,
                                      "reason": reason.strip(), "transaction_id": transaction.id},
        )
        return transaction
