"""Repayments: money from the borrower applied to what the loan owes.

Before allocating, the loan is serviced through the payment date (interest accrued, due
instalments, late fees), so the interest paid is already receivable. The payment pays the
DUE instalments oldest first (`core.loans.allocation`); what is left over is never lost:

- CREDIT_BALANCE loans keep it as a credit, used as instalments fall due;
- PREPAY loans repay principal with it: first the instalments after the current one, which
  are rescheduled over the smaller balance (same instalment, fewer of them; see
  `core.loans.rescheduling.shortened`), then the current instalment's principal; anything
  beyond all the principal becomes a credit. A payment above the payoff amount is refused.

A payment of exactly the payoff amount settles the loan, whatever the policy. A payment to
a WRITTEN_OFF loan is a recovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.customers.models import DEFAULT_TIME_ZONE
from core.errors import ConflictError, ValidationError
from core.ledger import rules
from core.loans.allocation import Owed, Split, allocate
from core.loans.contract import terms_from_json
from core.loans.models import (
    Component,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    LoanTransaction,
    TransactionType,
)
from core.loans.rescheduling import (
    cancel,
    continuation_terms,
    next_version,
    schedule_rows,
    shortened,
)
from core.loans.settlement import close_with, owed_total, quote_for
from core.loans.transactions import (
    Posting,
    begin_transaction,
    check_key,
    complete_transaction,
    instalments,
    payload_digest,
    recompute_balances,
    refresh_delinquency,
    replayed,
    set_status,
    up_to_date,
)
from core.loans.writeoff import recover
from core.money import Money
from core.payments.ports import PaymentToApply
from core.products.spec import OverpaymentHandling


def owed(rows: Sequence[Instalment], currency: str) -> list[Owed]:
    """What each DUE instalment still owes, interest as far as accrued."""
    def money(value: Decimal | int) -> Money:
        return Money.of(value, currency)

    return [
        Owed(row.id, row.due_date, row.number, money(row.penalty_due - row.penalty_paid),
             money(row.fee_due - row.fee_paid), money(row.interest_accrued - row.interest_paid),
             money(row.principal_due - row.principal_paid))
        for row in rows if row.status is InstalmentStatus.DUE
    ]


def _pay(rows: Sequence[Instalment], split: Split) -> list[Posting]:
    by_id = {row.id: row for row in rows}
    column = {Component.PENALTY: "penalty_paid", Component.FEE: "fee_paid",
              Component.INTEREST: "interest_paid", Component.PRINCIPAL: "principal_paid"}
    for share in split.shares:
        row = by_id[share.instalment_id]
        name = column[share.component]
        setattr(row, name, getattr(row, name) + share.amount.amount)
    return [Posting(s.instalment_id, s.component, s.amount) for s in split.shares]


async def _prepay(
    session: AsyncSession, loan: Loan, rows: list[Instalment], excess: Money, by: int
) -> tuple[list[Posting], Money]:
    """Repay principal ahead of schedule; returns the postings and what is left over."""
    pending = [row for row in rows if row.status is InstalmentStatus.PENDING]
    if not pending or not excess:
        return [], excess
    current, future = pending[0], pending[1:]
    postings: list[Posting] = []
    future_principal = Money.of(sum((r.principal_due for r in future), 0), loan.currency)
    to_future = excess.min(future_principal)
    if to_future:
        cancel(future, by=by)
        remaining = future_principal - to_future
        if remaining:
            version = await next_version(session, loan)
            terms = continuation_terms(
                terms_from_json(loan.terms), principal=remaining, start=current.due_date,
                first_due=future[0].due_date, term=len(future),
            )
            schedule = shortened(terms, future)
            added = schedule_rows(
                loan, schedule, version=version, created_by=by,
                due_dates=[r.due_date for r in future][: len(schedule.instalments)],
            )
            session.add_all(added)
            rows.extend(added)
        postings.append(Posting(None, Component.PRINCIPAL, to_future))
    left = excess - to_future
    on_current = left.min(Money.of(current.principal_due - current.principal_paid, loan.currency))
    if on_current:
        current.principal_paid += on_current.amount
        postings.append(Posting(current.id, Component.PRINCIPAL, on_current))
    live = [r for r in rows if r.status is not InstalmentStatus.CANCELLED]
    loan.maturity_date = max(r.due_date for r in live)
    return postings, left - on_current


async def record_repayment(
    session: AsyncSession,
    *,
    loan_id: int,
    amount: Money,
    paid_on: dt.date,
    idempotency_key: str,
    actor: str,
    received_into: rules.ReceivedInto = rules.ReceivedInto.BANK,
    reference: str | None = None,
) -> LoanTransaction:
    """Apply a payment of `amount` received on `paid_on` (see the module docstring).

    Idempotent by `idempotency_key`: a retry with the same key and payload returns the
    original transaction; the same key with a different payload raises
    `IdempotencyConflict`. Posts the split with `core.ledger.rules.repayment` and audits
    `loan.repayment`. Refused, leaving the database unchanged: a zero or negative amount or
    one in another currency, a date before disbursement (`ValidationError`); a payment
    above the payoff on a PREPAY loan (`ValidationError` stating the payoff); a loan that is
    closed (`ConflictError`); an unknown loan (`NotFoundError`).
    """
    key = check_key(idempotency_key)
    if not isinstance(amount, Money) or not amount.is_positive():
        raise ValidationError(f"A payment must be more than zero, not {amount}.")
    digest = payload_digest({"loan_id": loan_id, "amount": amount.amount, "paid_on": paid_on,
                             "currency": amount.currency, "into": received_into.value,
                             "reference": reference})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await up_to_date(session, loan_id=loan_id, as_of=paid_on, actor=actor)
        if amount.currency != loan.currency:
            raise ValidationError(f"Loan {loan.number} is repaid in {loan.currency}, "
                                  f"not {amount.currency}.")
        if paid_on < loan.disbursed_on:
            raise ValidationError(f"Loan {loan.number} was paid out on {loan.disbursed_on}; "
                                  f"a payment cannot be dated {paid_on}.")
        if loan.status is LoanStatus.WRITTEN_OFF:
            return await recover(session, loan, amount=amount, received_on=paid_on, key=key,
                                 digest=digest, actor=actor, received_into=received_into)
        if loan.status is not LoanStatus.ACTIVE:
            raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}; "
                                "it takes no more payments.")
        rows = await instalments(session, loan.id)
        quote = quote_for(loan, rows, paid_on)
        payoff = quote.total
        early = any(r.status is InstalmentStatus.PENDING for r in rows)
        if amount == payoff and early and paid_on == loan.accrued_through:
            return await close_with(session, loan, quote, key=key, digest=digest, actor=actor,
                                    received_into=received_into)
        if amount > payoff and loan.overpayment is not OverpaymentHandling.CREDIT_BALANCE:
            raise ValidationError(
                f"This payment of {amount} is more than the {payoff} that repays loan "
                f"{loan.number} in full on {paid_on}. Pay {payoff} to settle the loan."
            )
        return await _apply(session, loan, amount, paid_on, key, digest, actor, received_into,
                            reference)


async def _apply(
    session: AsyncSession, loan: Loan, amount: Money, paid_on: dt.date, key: str, digest: str,
    actor: str, received_into: rules.ReceivedInto, reference: str | None,
) -> LoanTransaction:
    rows = await instalments(session, loan.id)
    before = owed_total(loan)
    split = allocate(amount, owed(rows, loan.currency))
    postings = _pay(rows, split)
    transaction = await begin_transaction(
        session, loan=loan, type=TransactionType.REPAYMENT, amount=amount,
        effective_date=paid_on, key=key, digest=digest, description="Repayment", actor=actor,
    )
    credit = split.remainder
    if loan.overpayment is OverpaymentHandling.PREPAY:
        prepaid, credit = await _prepay(session, loan, rows, credit, transaction.id)
        postings.extend(prepaid)
    if credit:
        postings.append(Posting(None, Component.CREDIT, credit))
        loan.credit_balance += credit.amount
    for row in rows:
        set_status(row, serviced_through=loan.accrued_through, paid_on=paid_on)
    recompute_balances(loan, rows)
    zero = Money.zero(loan.currency)
    parts = {c: sum((p.amount for p in postings if p.component is c), zero) for c in Component}
    details: dict[str, Any] = {c.value: str(m.amount) for c, m in parts.items() if m}
    if reference:
        details["reference"] = reference
    await complete_transaction(
        session, transaction, loan=loan, balance_change=owed_total(loan) - before,
        postings=postings, details=details,
        lines=rules.repayment(
            loan_id=loan.id, received=amount, penalties=parts[Component.PENALTY],
            fees=parts[Component.FEE], interest=parts[Component.INTEREST],
            principal=parts[Component.PRINCIPAL], overpayment=parts[Component.CREDIT],
            received_into=received_into,
        ),
    )
    await refresh_delinquency(session, loan, as_of=paid_on)
    await trail.record(
        session, actor=actor, action="loan.repayment", entity_type="loan", entity_id=loan.id,
        after={"transaction_id": transaction.id, "amount": amount.amount, "paid_on": paid_on,
               **{c.value: m.amount for c, m in parts.items()}},
    )
    return transaction


async def apply_provider_payment(
    session: AsyncSession, payment: PaymentToApply, *, time_zone: str = DEFAULT_TIME_ZONE
) -> str:
    """The payments module's `ApplyPayment` port: apply a confirmed provider payment.

    The provider's idempotency key is the repayment's key (a redelivery returns the first
    result); the value date is the day the provider took the money in the lender's
    `time_zone`; the money sits in the provider clearing account. Returns
    "loan-transaction:{id}". Raises like `record_repayment` (the event is then retried).
    """
    paid_on = payment.received_at.astimezone(ZoneInfo(time_zone)).date()
    transaction = await record_repayment(
        session, loan_id=payment.loan_id, amount=payment.amount, paid_on=paid_on,
        idempotency_key=payment.idempotency_key, actor=f"provider:{payment.provider}",
        received_into=rules.ReceivedInto.CLEARING,
        reference=payment.provider_payment_id or payment.intent_reference,
    )
    return f"loan-transaction:{transaction.id}"
