"""Reversal of any loan transaction: a mirror-image journal entry (the books are never
edited) and the transaction's sub-ledger effects undone exactly, from its allocations and
the schedule rows it created or cancelled.

A reversal is refused, changing nothing, when later activity rests on what it would undo:
interest, a fee or a penalty paid since; credit from the payment used since; an instalment
since replaced by another schedule; recoveries after a write-off; anything at all after a
disbursement. The message names what to reverse first. A transaction is reversed at most
once, and a reversal itself cannot be reversed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.ledger import rules
from core.ledger.lines import Line
from core.ledger.posting import get_entry, reverse_entry
from core.loans.models import (
    Allocation,
    Component,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanTransaction,
)
from core.loans.models import LoanStatus as S
from core.loans.models import TransactionType as T
from core.loans.rescheduling import cancel
from core.loans.restructure import restore
from core.loans.settlement import owed_total
from core.loans.transactions import (
    begin_transaction,
    check_key,
    complete_transaction,
    instalments,
    lock_loan,
    payload_digest,
    recompute_balances,
    refresh_delinquency,
    replayed,
    set_status,
)
from core.money import Money

CHARGED = {T.ACCRUAL: "interest_accrued", T.PENALTY: "penalty_due", T.FEE: "fee_due"}
PAID = {Component.PENALTY: "penalty_paid", Component.FEE: "fee_paid",
        Component.INTEREST: "interest_paid", Component.PRINCIPAL: "principal_paid"}
PAYMENTS = {T.REPAYMENT, T.CREDIT_APPLIED, T.SETTLEMENT, T.RESTRUCTURE}


def _consistent(row: Instalment) -> str | None:
    """What an undo broke on a row, if anything."""
    if row.interest_paid > row.interest_accrued:
        return "interest that has been paid since"
    if row.penalty_paid > row.penalty_due or row.fee_paid > row.fee_due:
        return "a charge that has been paid since"
    if min(row.principal_paid, row.interest_paid, row.fee_paid, row.penalty_paid) < 0:
        return "a payment that was already undone"
    if row.interest_accrued < row.interest_carried:
        return "interest carried over from an earlier schedule"
    return None


def _undo_rows(original: LoanTransaction, allocations: Sequence[Allocation],
               rows: dict[int, Instalment]) -> None:
    for allocation in allocations:
        if allocation.instalment_id is None:
            continue
        row = rows[allocation.instalment_id]
        replaced_by = row.cancelled_by_transaction_id
        if row.status is InstalmentStatus.CANCELLED and replaced_by != original.id:
            raise ConflictError(
                f"Instalment {row.number} was replaced by transaction {replaced_by}; "
                "reverse that first."
            )
        column = CHARGED.get(original.type) or PAID[allocation.component]
        setattr(row, column, getattr(row, column) - allocation.amount)
        problem = _consistent(row)
        if problem is not None:
            raise ConflictError(
                f"Reversing transaction {original.id} would undo {problem} on instalment "
                f"{row.number}; reverse the later transaction first."
            )


async def _live_uses(session: AsyncSession, original: LoanTransaction,
                     rows: Sequence[Instalment]) -> list[int]:
    """Live transactions other than `original` with allocations on `rows`."""
    if not rows:
        return []
    found = await session.scalars(
        select(LoanTransaction.id).distinct()
        .join(Allocation, Allocation.transaction_id == LoanTransaction.id)
        .where(Allocation.instalment_id.in_([r.id for r in rows]),
               LoanTransaction.id != original.id, LoanTransaction.type != T.REVERSAL,
               LoanTransaction.reversed_by_transaction_id.is_(None))
    )
    return sorted(found)


async def _undo_schedule(session: AsyncSession, loan: Loan, original: LoanTransaction,
                         rows: Sequence[Instalment], by: int) -> None:
    added = [r for r in rows if r.created_by_transaction_id == original.id]
    replaced = [r for r in rows if r.cancelled_by_transaction_id == original.id]
    for row in added:
        if row.status is InstalmentStatus.CANCELLED:
            raise ConflictError(
                f"The schedule of transaction {original.id} was replaced by transaction "
                f"{row.cancelled_by_transaction_id}; reverse that first.")
    later = await _live_uses(session, original, added)
    if later:
        raise ConflictError(
            f"Transactions {', '.join(map(str, later))} touched the schedule that transaction "
            f"{original.id} made; reverse them first."
        )
    cancel(added, by=by)
    for row in replaced:
        row.status, row.cancelled_by_transaction_id = InstalmentStatus.PENDING, None
    live = [r for r in rows if r.status is not InstalmentStatus.CANCELLED]
    if live:
        loan.schedule_version = max(r.version for r in live)
        loan.maturity_date = max(r.due_date for r in live)


CLOSING = {S.SETTLED: {T.SETTLEMENT}, S.WRITTEN_OFF: {T.WRITE_OFF, T.RECOVERY},
           S.CANCELLED: set()}


async def _undo_loan(session: AsyncSession, loan: Loan, original: LoanTransaction,
                     allocations: Sequence[Allocation]) -> None:
    allowed = CLOSING.get(loan.status)
    if allowed is not None and original.type not in allowed:
        state = loan.status.value.replace("_", " ")
        if not allowed:
            raise ConflictError(f"Loan {loan.number} is {state}; nothing on it can be reversed.")
        first = " or ".join(sorted(t.value.replace("_", " ") for t in allowed))
        raise ConflictError(f"Loan {loan.number} is {state}; reverse its {first} first.")
    for allocation in allocations:
        if allocation.component is Component.CREDIT:
            loan.credit_balance -= allocation.amount
    if loan.credit_balance < 0:
        raise ConflictError(f"The credit from transaction {original.id} has been used since; "
                            "reverse the transaction that used it first.")
    if original.type is T.DISBURSEMENT:
        later = await session.scalar(
            select(func.count()).select_from(LoanTransaction).where(
                LoanTransaction.loan_id == loan.id, LoanTransaction.id != original.id,
                LoanTransaction.type != T.REVERSAL,
                LoanTransaction.reversed_by_transaction_id.is_(None)))
        if later:
            raise ConflictError(f"Loan {loan.number} has {later} later transaction(s) still "
                                "standing; reverse them before the disbursement.")
        loan.status = S.CANCELLED
    elif original.type is T.WRITE_OFF:
        if loan.recovered_amount:
            raise ConflictError(f"Recoveries of {loan.recovered_amount} were recorded after the "
                                "write-off; reverse them first.")
        loan.status, loan.written_off_amount = S.ACTIVE, Decimal("0.00")
    elif original.type is T.RECOVERY:
        loan.recovered_amount -= original.amount
    elif original.type is T.RESTRUCTURE and original.details:
        restore(loan, original.details["before"])
    if original.type in PAYMENTS and loan.status in (S.PAID_OFF, S.SETTLED):
        loan.status = S.ACTIVE
    if loan.status is S.ACTIVE:
        loan.closed_on = None


def _portfolio_lines(original: LoanTransaction, allocations: Sequence[Allocation],
                     currency: str) -> list[Line]:
    """The lines of a transaction whose amounts were posted in a servicing run's entry."""
    amount = Money.of(original.amount, currency)
    if original.type is T.ACCRUAL:
        return rules.interest_accrual(loan_id=original.loan_id, amount=amount)
    if original.type is T.PENALTY:
        return rules.charge(loan_id=original.loan_id, amount=amount, kind=rules.ChargeKind.PENALTY)
    part = {c: sum((Money.of(a.amount, currency) for a in allocations if a.component is c),
                   Money.zero(currency)) for c in Component}
    return rules.repayment(
        loan_id=original.loan_id, received=amount, penalties=part[Component.PENALTY],
        fees=part[Component.FEE], interest=part[Component.INTEREST],
        principal=part[Component.PRINCIPAL], received_into=rules.ReceivedInto.CUSTOMER_CREDIT,
    )


async def reverse_transaction(
    session: AsyncSession,
    *,
    transaction_id: int,
    on: dt.date,
    reason: str,
    actor: str,
    idempotency_key: str | None = None,
) -> LoanTransaction:
    """Reverse one loan transaction on `on` (see the module docstring); returns the REVERSAL.

    Posts the mirror of the original's journal lines (the original entry itself through
    `core.ledger.posting.reverse_entry` when it was the transaction's own), records
    allocations that negate the original's, and audits `loan.transaction_reversed`. With an
    `idempotency_key`, a retry returns the first reversal; without one, asking twice is
    refused as a second reversal.
    Raises `NotFoundError`, `ConflictError` (already reversed, a reversal, or later
    activity in the way) and `ValidationError` (no reason, a date before the original).
    """
    if not reason.strip():
        raise ValidationError("A reversal needs a reason.")
    key = check_key(idempotency_key or f"reversal:transaction-{transaction_id}")
    digest = payload_digest({"transaction_id": transaction_id, "on": on})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest) if idempotency_key else None
        if earlier is not None:
            return earlier
        original = await session.scalar(
            select(LoanTransaction).where(LoanTransaction.id == transaction_id).with_for_update()
            .execution_options(populate_existing=True))
        if original is None:
            raise NotFoundError(f"There is no loan transaction {transaction_id}.")
        if original.type is T.REVERSAL:
            raise ConflictError(f"Transaction {original.id} is itself a reversal; record the "
                                "original transaction again instead.")
        if original.reversed_by_transaction_id is not None:
            raise ConflictError(f"Transaction {original.id} was already reversed by transaction "
                                f"{original.reversed_by_transaction_id}.")
        if on < original.effective_date:
            raise ValidationError(f"A reversal cannot be dated {on}, before the transaction it "
                                  f"reverses ({original.effective_date}).")
        loan = await lock_loan(session, original.loan_id)
        return await _reverse(session, loan, original, on=on, reason=reason.strip(), key=key,
                              digest=digest, actor=actor)


async def _reverse(session: AsyncSession, loan: Loan, original: LoanTransaction, *,
                   on: dt.date, reason: str, key: str, digest: str, actor: str) -> LoanTransaction:
    allocations = list(await session.scalars(
        select(Allocation).where(Allocation.transaction_id == original.id)
        .order_by(Allocation.id)))
    rows = await instalments(session, loan.id, live=False)
    before, status_before = owed_total(loan), loan.status
    reversal = await begin_transaction(
        session, loan=loan, type=T.REVERSAL, amount=Money.of(original.amount, loan.currency),
        effective_date=on, key=key, digest=digest, actor=actor, reverses=original,
        description=f"Reversal of {original.type.value.replace('_', ' ')} {original.id}: {reason}",
    )
    await _undo_loan(session, loan, original, allocations)
    _undo_rows(original, allocations, {r.id: r for r in rows})
    await _undo_schedule(session, loan, original, rows, reversal.id)
    for row in rows:
        set_status(row, serviced_through=loan.accrued_through, paid_on=on)
    recompute_balances(loan, rows)
    original.reversed_by_transaction_id = reversal.id
    entry = await get_entry(session, entry_id=original.journal_entry_id) \
        if original.journal_entry_id else None
    own_entry = entry is not None and entry.source_type == "loan_transaction"
    lines = [] if entry is None or own_entry else [
        line.mirrored() for line in _portfolio_lines(original, allocations, loan.currency)]
    await complete_transaction(
        session, reversal, loan=loan, balance_change=owed_total(loan) - before, lines=lines,
        postings=[], details={"reason": reason},
    )
    session.add_all(Allocation(transaction_id=reversal.id, instalment_id=a.instalment_id,
                               component=a.component, amount=-a.amount) for a in allocations)
    if own_entry:
        assert entry is not None
        mirrored = await reverse_entry(
            session, entry_id=entry.id, posting_key=f"loan-transaction:{reversal.id}",
            effective_date=on, reason=reason, actor=actor)
        reversal.journal_entry_id = mirrored.id
    await session.flush()
    await refresh_delinquency(session, loan, as_of=on)
    await trail.record(
        session, actor=actor, action="loan.transaction_reversed", entity_type="loan",
        entity_id=loan.id, before={"status": status_before, "transaction_id": original.id},
        after={"status": loan.status, "reversal_id": reversal.id, "reason": reason},
    )
    return reversal
