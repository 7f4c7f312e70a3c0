"""Shared by the single-loan operations: locking a loan, idempotency keys, recording a
transaction with its allocations and journal entry, and keeping cached balances true."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import IdempotencyConflict, NotFoundError, ValidationError
from core.ledger.lines import Line
from core.ledger.posting import post_entry
from core.loans.bulk import Run, Scope, prepare_staging
from core.loans.delinquency import refresh_loans
from core.loans.models import (
    Allocation,
    Component,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    LoanTransaction,
    TransactionType,
)
from core.loans.servicing import SYSTEM_ACTOR, service_loan
from core.money import Money

MAX_KEY_LENGTH = 200
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Posting:
    """One allocation to record: a component of an instalment (or of the loan) and an amount."""

    instalment_id: int | None
    component: Component
    amount: Money


def check_key(key: str) -> str:
    """A caller's idempotency key, trimmed; refused when empty or too long."""
    cleaned = key.strip() if isinstance(key, str) else ""
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH:
        raise ValidationError(f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is needed.")
    return cleaned


def payload_digest(values: Mapping[str, Any]) -> str:
    """A digest of what makes two requests the same (values compared as text)."""
    canonical = json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replayed(session: AsyncSession, *, key: str, digest: str) -> LoanTransaction | None:
    """The transaction recorded earlier under `key`, if any; `IdempotencyConflict` when it was
    recorded for a different request."""
    earlier = await session.scalar(
        select(LoanTransaction).where(LoanTransaction.idempotency_key == key)
    )
    if earlier is None:
        return None
    if earlier.payload_hash != digest:
        raise IdempotencyConflict(
            f"The idempotency key {key!r} was already used for a different request "
            f"(transaction {earlier.id}); use a new key for a new payment."
        )
    return earlier


async def lock_loan(session: AsyncSession, loan_id: int) -> Loan:
    """The loan, locked for this transaction; `NotFoundError` if there is none."""
    loan = await session.scalar(
        select(Loan).where(Loan.id == loan_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if loan is None:
        raise NotFoundError(f"There is no loan {loan_id}.")
    return loan


async def up_to_date(
    session: AsyncSession, *, loan_id: int, as_of: dt.date, actor: str = SYSTEM_ACTOR
) -> Loan:
    """Lock the loan and run servicing for it through `as_of` (a no-op for a date already
    serviced); returns it with fresh balances."""
    await lock_loan(session, loan_id)
    await service_loan(session, loan_id=loan_id, as_of=as_of, actor=actor)
    return await lock_loan(session, loan_id)


async def instalments(
    session: AsyncSession, loan_id: int, *, live: bool = True
) -> list[Instalment]:
    """The loan's instalments in due order (only those not cancelled, by default)."""
    query = select(Instalment).where(Instalment.loan_id == loan_id)
    if live:
        query = query.where(Instalment.status != InstalmentStatus.CANCELLED)
    rows = await session.scalars(
        query.order_by(Instalment.due_date, Instalment.version, Instalment.number)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def fully_paid(row: Instalment) -> bool:
    return (
        row.principal_paid == row.principal_due and row.interest_paid == row.interest_due
        and row.fee_paid == row.fee_due and row.penalty_paid == row.penalty_due
    )


def set_status(row: Instalment, *, serviced_through: dt.date, paid_on: dt.date) -> None:
    """PAID when nothing is left, else DUE or PENDING by its due date (cancelled rows stay)."""
    if row.status is InstalmentStatus.CANCELLED:
        return
    if fully_paid(row):
        if row.status is not InstalmentStatus.PAID:
            row.status, row.paid_on = InstalmentStatus.PAID, paid_on
        return
    row.paid_on = None
    due = row.due_date <= serviced_through
    row.status = InstalmentStatus.DUE if due else InstalmentStatus.PENDING


def recompute_balances(loan: Loan, rows: Sequence[Instalment]) -> None:
    """Set the loan's cached balances from its live instalments (zero once written off)."""
    live = [r for r in rows if r.status is not InstalmentStatus.CANCELLED]
    written_off = loan.status is LoanStatus.WRITTEN_OFF
    loan.principal_outstanding = ZERO if written_off else sum(
        (r.principal_due - r.principal_paid for r in live), ZERO)
    loan.interest_receivable = ZERO if written_off else sum(
        (r.interest_accrued - r.interest_paid for r in live), ZERO)
    loan.fees_outstanding = ZERO if written_off else sum(
        (r.fee_due - r.fee_paid for r in live), ZERO)
    loan.penalties_outstanding = ZERO if written_off else sum(
        (r.penalty_due - r.penalty_paid for r in live), ZERO)


async def begin_transaction(
    session: AsyncSession,
    *,
    loan: Loan,
    type: TransactionType,
    amount: Money,
    effective_date: dt.date,
    key: str,
    digest: str | None,
    description: str,
    actor: str,
    reverses: LoanTransaction | None = None,
) -> LoanTransaction:
    """Write the transaction row (for an operation that needs its id, e.g. to mark the rows
    it replaces); `complete_transaction` adds its effects."""
    transaction = LoanTransaction(
        loan_id=loan.id, type=type, amount=amount.amount, balance_change=ZERO,
        effective_date=effective_date, idempotency_key=key, payload_hash=digest,
        actor=actor, description=description,
        reverses_transaction_id=reverses.id if reverses is not None else None,
    )
    session.add(transaction)
    await session.flush()
    return transaction


async def complete_transaction(
    session: AsyncSession,
    transaction: LoanTransaction,
    *,
    loan: Loan,
    balance_change: Money,
    lines: Sequence[Line],
    postings: Sequence[Posting] = (),
    details: dict[str, Any] | None = None,
) -> LoanTransaction:
    """Write the allocations and post the journal entry (keyed `loan-transaction:{id}`);
    `lines` may be empty for a change that moves no GL balance."""
    transaction.balance_change = balance_change.amount
    transaction.details = details
    session.add_all(
        Allocation(transaction_id=transaction.id, instalment_id=p.instalment_id,
                   component=p.component, amount=p.amount.amount)
        for p in postings if p.amount
    )
    if lines:
        entry = await post_entry(
            session, posting_key=f"loan-transaction:{transaction.id}",
            effective_date=transaction.effective_date, lines=lines,
            description=f"{loan.number}: {transaction.description}",
            source_type="loan_transaction", source_id=transaction.id, actor=transaction.actor,
        )
        transaction.journal_entry_id = entry.id
    await session.flush()
    return transaction


async def record_transaction(
    session: AsyncSession,
    *,
    loan: Loan,
    type: TransactionType,
    amount: Money,
    balance_change: Money,
    effective_date: dt.date,
    key: str,
    digest: str | None,
    lines: Sequence[Line],
    description: str,
    actor: str,
    postings: Sequence[Posting] = (),
    details: dict[str, Any] | None = None,
) -> LoanTransaction:
    """`begin_transaction` and `complete_transaction` in one go."""
    transaction = await begin_transaction(
        session, loan=loan, type=type, amount=amount, effective_date=effective_date, key=key,
        digest=digest, description=description, actor=actor,
    )
    return await complete_transaction(
        session, transaction, loan=loan, balance_change=balance_change, lines=lines,
        postings=postings, details=details,
    )


async def refresh_delinquency(session: AsyncSession, loan: Loan, *, as_of: dt.date) -> None:
    """Recompute the loan's days past due and arrears (and close it if nothing is left)."""
    await session.flush()
    await prepare_staging(session)
    await refresh_loans(Run(session, Scope(as_of, loan.id), SYSTEM_ACTOR, loan.currency))
    await session.refresh(loan)
