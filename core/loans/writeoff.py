"""Write-off (balances given up as uncollectable) and recoveries collected afterwards.

A write-off moves the principal, interest receivable, fees and penalties of a loan out of
the books through the allowance for loan losses (`core.ledger.rules.write_off`: the
allowance absorbs the principal as far as its credit balance on the date goes, write-off
expense the rest, so the allowance never turns into a debit balance) and leaves the loan
WRITTEN_OFF with zero balances. Its instalments are left as they were, so reversing the
write-off restores the loan exactly. Money collected later is a recovery: bank (or clearing)
against recoveries income, up to the amount written off.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, ValidationError
from core.ledger import rules
from core.loans.models import Component, Loan, LoanStatus, LoanTransaction, TransactionType
from core.loans.provisioning import allowance_balance
from core.loans.transactions import (
    Posting,
    check_key,
    lock_loan,
    payload_digest,
    record_transaction,
    replayed,
    up_to_date,
)
from core.money import Money


async def write_off(
    session: AsyncSession,
    *,
    loan_id: int,
    as_of: dt.date,
    reason: str,
    actor: str,
    idempotency_key: str | None = None,
) -> LoanTransaction:
    """Write off an ACTIVE loan on `as_of` after servicing it through that date.

    Records a WRITE_OFF transaction with one loan-level allocation per component, posts the
    write-off entry (the allowance used: the principal, or the allowance's credit balance on
    `as_of` when that is smaller; write-off expense the rest) and audits `loan.written_off`.
    Refused, changing nothing, for a loan that is not active or still holds a credit balance
    (`ConflictError`), a missing reason or nothing to write off (`ValidationError`). A retry
    with the same key returns the first.
    """
    if not reason.strip():
        raise ValidationError("A write-off needs a reason.")
    key = check_key(idempotency_key or f"write-off:loan-{loan_id}")
    digest = payload_digest({"loan_id": loan_id, "as_of": as_of, "type": "write_off"})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await up_to_date(session, loan_id=loan_id, as_of=as_of, actor=actor)
        if loan.status is not LoanStatus.ACTIVE:
            raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}; "
                                "only an active loan can be written off.")
        if loan.credit_balance:
            raise ConflictError(
                f"Loan {loan.number} holds a credit balance of {loan.credit_balance}; "
                "refund or apply it before writing the loan off."
            )
        def money(value: Decimal | int) -> Money:
            return Money.of(value, loan.currency)

        parts = {
            Component.PRINCIPAL: money(loan.principal_outstanding),
            Component.INTEREST: money(loan.interest_receivable),
            Component.FEE: money(loan.fees_outstanding),
            Component.PENALTY: money(loan.penalties_outstanding),
        }
        written_off = sum(parts.values(), Money.zero(loan.currency))
        if not written_off:
            raise ValidationError(f"Loan {loan.number} owes nothing to write off.")
        available = await allowance_balance(session, as_of=as_of, currency=loan.currency)
        allowance_used = min(parts[Component.PRINCIPAL], max(available, money(0)))
        lines = rules.write_off(
            loan_id=loan.id, principal=parts[Component.PRINCIPAL],
            interest=parts[Component.INTEREST], fees=parts[Component.FEE],
            penalties=parts[Component.PENALTY], allowance_used=allowance_used,
        )
        loan.status, loan.closed_on = LoanStatus.WRITTEN_OFF, as_of
        loan.written_off_amount = written_off.amount
        for column in ("principal_outstanding", "interest_receivable", "fees_outstanding",
                       "penalties_outstanding"):
            setattr(loan, column, Decimal("0.00"))
        transaction = await record_transaction(
            session, loan=loan, type=TransactionType.WRITE_OFF, amount=written_off,
            balance_change=-written_off, effective_date=as_of, key=key, digest=digest,
            lines=lines, description=f"Written off: {reason.strip()}", actor=actor,
            postings=[Posting(None, c, m) for c, m in parts.items()],
        )
        await trail.record(
            session, actor=actor, action="loan.written_off", entity_type="loan",
            entity_id=loan.id, before={"status": LoanStatus.ACTIVE},
            after={"status": loan.status, "amount": written_off.amount, "reason": reason,
                   "allowance_used": allowance_used.amount, "transaction_id": transaction.id},
        )
        return transaction


async def record_recovery(
    session: AsyncSession,
    *,
    loan_id: int,
    amount: Money,
    received_on: dt.date,
    idempotency_key: str,
    actor: str,
    received_into: rules.ReceivedInto = rules.ReceivedInto.BANK,
) -> LoanTransaction:
    """Record money collected on a WRITTEN_OFF loan (recoveries income).

    Idempotent by key like a repayment. Refused, changing nothing: a zero or negative
    amount, more than is still unrecovered, a date before the write-off
    (`ValidationError`); a loan that is not written off (`ConflictError`).
    """
    key = check_key(idempotency_key)
    if not isinstance(amount, Money) or not amount.is_positive():
        raise ValidationError(f"A recovery must be more than zero, not {amount}.")
    digest = payload_digest({"loan_id": loan_id, "amount": amount.amount,
                             "received_on": received_on, "into": received_into.value})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await lock_loan(session, loan_id)
        return await recover(session, loan, amount=amount, received_on=received_on, key=key,
                             digest=digest, actor=actor, received_into=received_into)


async def recover(
    session: AsyncSession, loan: Loan, *, amount: Money, received_on: dt.date, key: str,
    digest: str, actor: str, received_into: rules.ReceivedInto,
) -> LoanTransaction:
    """The body of `record_recovery` for a loan already locked (a repayment to a written-off
    loan comes here too)."""
    if loan.status is not LoanStatus.WRITTEN_OFF:
        raise ConflictError(f"Loan {loan.number} is not written off; record a repayment.")
    if amount.currency != loan.currency:
        raise ValidationError(f"Loan {loan.number} is kept in {loan.currency}.")
    if loan.closed_on is not None and received_on < loan.closed_on:
        raise ValidationError(f"Loan {loan.number} was written off on {loan.closed_on}; "
                              f"a recovery cannot be dated {received_on}.")
    unrecovered = Money.of(loan.written_off_amount - loan.recovered_amount, loan.currency)
    if amount > unrecovered:
        raise ValidationError(
            f"Only {unrecovered} of loan {loan.number} is still unrecovered; {amount} is more."
        )
    loan.recovered_amount += amount.amount
    transaction = await record_transaction(
        session, loan=loan, type=TransactionType.RECOVERY, amount=amount,
        balance_change=Money.zero(loan.currency), effective_date=received_on, key=key,
        digest=digest, lines=rules.recovery(loan_id=loan.id, amount=amount,
                                            received_into=received_into),
        description="Recovery after write-off", actor=actor,
    )
    await trail.record(
        session, actor=actor, action="loan.recovery", entity_type="loan", entity_id=loan.id,
        after={"amount": amount.amount, "recovered": loan.recovered_amount,
               "transaction_id": transaction.id},
    )
    return transaction
