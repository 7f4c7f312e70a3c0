"""The servicing run: accrual, due processing, credit balances, late fees, days past due.

`run_servicing` does it for every active loan at once, set-based (INSERT … SELECT and
UPDATE … FROM over the whole book, never a Python loop per loan), and posts ONE journal
entry per kind of amount (accrual, credit applied, late fees) for the whole run.
`service_loan` runs the very same statements for one loan; every operation on a loan calls
it first, so a payment or a settlement always meets a loan that is up to date.

Both are idempotent for a date: everything they do is a function of the date and the
loan's state, so running them again for the same date finds nothing to do and posts
nothing. Runs are serialised by a transaction-level advisory lock that single-loan
operations take in shared mode, so the nightly run and a payment never interleave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError
from core.loans.accrual import accrue
from core.loans.bulk import Run, Scope, prepare_staging
from core.loans.delinquency import apply_credit, charge_late_fees, fall_due, refresh_loans
from core.loans.models import Loan, LoanStatus
from core.money import DEFAULT_CURRENCY, Money

SERVICING_LOCK = 0x4C4E5356
"""Advisory lock key ("LNSV"): exclusive for a run over all loans, shared per loan."""

SYSTEM_ACTOR = "system:servicing"


@dataclass(frozen=True, slots=True)
class ServicingResult:
    """What one run did. `run_id` is None when it changed nothing."""

    as_of: dt.date
    interest_accrued: Money
    instalments_fallen_due: int
    credit_applied: Money
    late_fees: Money
    loans_paid_off: tuple[int, ...]
    run_id: int | None

    @property
    def changed(self) -> bool:
        return self.run_id is not None or bool(self.instalments_fallen_due)


async def _currency(session: AsyncSession, scope: Scope) -> str:
    query = select(Loan.currency).where(Loan.status == LoanStatus.ACTIVE).distinct()
    if scope.loan_id is not None:
        query = query.where(Loan.id == scope.loan_id)
    currencies = list(await session.scalars(query))
    if len(currencies) > 1:
        raise ConflictError(
            "Active loans are kept in several currencies (" + ", ".join(sorted(currencies))
            + "); the servicing run posts one currency per entry."
        )
    return currencies[0] if currencies else DEFAULT_CURRENCY


async def _service(session: AsyncSession, scope: Scope, actor: str) -> ServicingResult:
    await session.flush()
    await prepare_staging(session)
    if scope.loan_id is None:  # the whole book: let sorts and hashes of ~10⁵ rows stay in memory
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
    run = Run(session, scope, actor, await _currency(session, scope))
    accrued = await accrue(run)
    fallen_due = await fall_due(run)
    credit = await apply_credit(run)
    late_fees = await charge_late_fees(run)
    paid_off = await refresh_loans(run)
    await run.finish()
    if scope.loan_id is not None:
        loan = await session.get(Loan, scope.loan_id)
        if loan is not None:
            await session.refresh(loan)
    return ServicingResult(
        as_of=scope.as_of, interest_accrued=accrued, instalments_fallen_due=fallen_due,
        credit_applied=credit, late_fees=late_fees, loans_paid_off=tuple(paid_off),
        run_id=run.record.id if run.record is not None else None,
    )


async def run_servicing(
    session: AsyncSession, *, as_of: dt.date, actor: str = SYSTEM_ACTOR
) -> ServicingResult:
    """Bring every active loan up to date as of the end of `as_of`.

    In order: accrue interest through `as_of` (see `core.loans.accrual`), mark instalments
    due, apply credit balances to what fell due, charge late fees past their grace days,
    then refresh cached balances, days past due and arrears and close loans with nothing
    left to pay (see `core.loans.delinquency`). Posts at most one journal entry per kind,
    keyed `servicing:{as_of}:run-{id}:{kind}`, and writes the per-loan transactions and
    allocations in bulk. Idempotent: a second run for the same date changes nothing.
    Audited as `loans.servicing_run` when it changed something.
    """
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SERVICING_LOCK})
    result = await _service(session, Scope(as_of), actor)
    if result.changed:
        await trail.record(
            session, actor=actor, action="loans.servicing_run", entity_type="servicing_run",
            entity_id=result.run_id or as_of.isoformat(),
            after={
                "as_of": as_of, "interest_accrued": result.interest_accrued.amount,
                "instalments_fallen_due": result.instalments_fallen_due,
                "credit_applied": result.credit_applied.amount,
                "late_fees": result.late_fees.amount,
                "loans_paid_off": len(result.loans_paid_off),
            },
        )
    return result


async def service_loan(
    session: AsyncSession, *, loan_id: int, as_of: dt.date, actor: str = SYSTEM_ACTOR
) -> ServicingResult:
    """`run_servicing` for one loan (no-op unless it is ACTIVE); the caller holds its lock."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": SERVICING_LOCK}
    )
    return await _service(session, Scope(as_of, loan_id), actor)
