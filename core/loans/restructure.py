"""Restructuring: the rest of a loan rescheduled under new terms.

On the restructure date D (after servicing through D), every instalment not yet due is
cancelled; their unpaid principal is scheduled afresh under the new terms from D. Interest
they had already accrued (the current period's, up to D), and any fees or penalties on them,
are carried onto the first new instalment. With `capitalise_arrears` the overdue
instalments are folded in as well: their unpaid principal moves into the new schedule and
their interest, fees and penalties are capitalised (loans receivable debited, the
receivables credited); without it, arrears stay due as they are. The loan stays ACTIVE with
the next `schedule_version`; the RESTRUCTURE transaction keeps the old and new terms so a
reversal can restore the old schedule exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, ValidationError
from core.ledger.chart import AccountCode
from core.ledger.lines import Line
from core.loans.contract import terms_from_json, terms_to_json
from core.loans.models import Component, InstalmentStatus, Loan, LoanStatus, LoanTransaction
from core.loans.models import TransactionType as T
from core.loans.rescheduling import cancel, next_version, schedule_rows
from core.loans.schedule import build_schedule
from core.loans.settlement import owed_total
from core.loans.terms import Frequency, InterestMethod, LoanTerms
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
from core.money import Money

ZERO = Decimal("0.00")
CAPITALISED_FROM = {
    Component.INTEREST: AccountCode.INTEREST_RECEIVABLE,
    Component.FEE: AccountCode.FEES_RECEIVABLE,
    Component.PENALTY: AccountCode.PENALTIES_RECEIVABLE,
}


def capitalisation_lines(loan_id: int, parts: dict[Component, Money]) -> list[Line]:
    """Interest, fees and penalties added to principal (not among the ledger's rules yet).

                                                 Dr                  Cr
        1210 Loans receivable – principal        total
        1220 / 1230 / 1240 receivables                               each part
    """
    credits = [Line.cr(CAPITALISED_FROM[c], m, loan_id=loan_id)
               for c, m in parts.items() if c in CAPITALISED_FROM and m]
    if not credits:
        return []
    debit = sum((line.amount for line in credits), Money.zero(credits[0].amount.currency))
    return [Line.dr(AccountCode.LOANS_PRINCIPAL, debit, loan_id=loan_id), *credits]


def snapshot(loan: Loan) -> dict[str, Any]:
    """The loan's schedule terms as a reversal restores them."""
    return {
        "terms": loan.terms, "annual_rate": str(loan.annual_rate), "term": loan.term,
        "frequency": loan.frequency.value, "method": loan.method.value,
        "maturity_date": loan.maturity_date.isoformat(),
        "schedule_version": loan.schedule_version,
    }


async def restructure(
    session: AsyncSession,
    *,
    loan_id: int,
    as_of: dt.date,
    term: int,
    reason: str,
    actor: str,
    annual_rate: Decimal | None = None,
    frequency: Frequency | None = None,
    method: InterestMethod | None = None,
    first_due_date: dt.date | None = None,
    capitalise_arrears: bool = False,
    idempotency_key: str | None = None,
) -> LoanTransaction:
    """Reschedule an ACTIVE loan on `as_of` over `term` instalments (see the module doc).

    Unset terms keep the loan's. Audited as `loan.restructured` with the old and new terms.
    Refused, changing nothing: no reason, nothing left to reschedule or terms the schedule
    engine refuses (`ValidationError`); a loan that is not active (`ConflictError`).
    """
    if not reason.strip():
        raise ValidationError("A restructure needs a reason.")
    key = check_key(idempotency_key or f"restructure:loan-{loan_id}:{as_of}")
    digest = payload_digest({
        "loan_id": loan_id, "as_of": as_of, "term": term, "rate": annual_rate,
        "frequency": frequency, "method": method, "first_due_date": first_due_date,
        "capitalise": capitalise_arrears,
    })
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await up_to_date(session, loan_id=loan_id, as_of=as_of, actor=actor)
        if loan.status is not LoanStatus.ACTIVE:
            raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}; "
                                "only an active loan can be restructured.")
        rows = await instalments(session, loan.id)
        pending = [r for r in rows if r.status is InstalmentStatus.PENDING]
        overdue = [r for r in rows
                   if capitalise_arrears and r.status is InstalmentStatus.DUE]
        def money(value: Decimal | int) -> Money:
            return Money.of(value, loan.currency)

        postings = [
            Posting(r.id, c, money(amount)) for r in overdue for c, amount in (
                (Component.PENALTY, r.penalty_due - r.penalty_paid),
                (Component.FEE, r.fee_due - r.fee_paid),
                (Component.INTEREST, r.interest_accrued - r.interest_paid),
                (Component.PRINCIPAL, r.principal_due - r.principal_paid),
            ) if amount
        ]
        moved = sum((p.amount for p in postings), money(sum(
            (r.principal_due - r.principal_paid for r in pending), ZERO)))
        if not moved:
            raise ValidationError(f"Loan {loan.number} has nothing left to reschedule.")
        old = terms_from_json(loan.terms)
        new_terms = LoanTerms(
            principal=moved, annual_rate=old.annual_rate if annual_rate is None else annual_rate,
            term=term, start_date=as_of, frequency=frequency or old.frequency,
            method=method or old.method, calculation=old.calculation, day_count=old.day_count,
            first_due_date=first_due_date, rounding_multiple=old.rounding_multiple,
        )
        schedule = build_schedule(new_terms)
        before_owed, before_terms = owed_total(loan), snapshot(loan)
        transaction = await begin_transaction(
            session, loan=loan, type=T.RESTRUCTURE, amount=moved, effective_date=as_of,
            key=key, digest=digest, description=f"Restructured: {reason.strip()}", actor=actor,
        )
        for row in overdue:
            row.penalty_paid, row.fee_paid = row.penalty_due, row.fee_due
            row.interest_paid, row.principal_paid = row.interest_accrued, row.principal_due
        cancel(pending, by=transaction.id)
        added = schedule_rows(
            loan, schedule, version=await next_version(session, loan), created_by=transaction.id,
            carried_interest=sum((r.interest_accrued - r.interest_paid for r in pending), ZERO),
            carried_fee=sum((r.fee_due - r.fee_paid for r in pending), ZERO),
            carried_penalty=sum((r.penalty_due - r.penalty_paid for r in pending), ZERO),
        )
        session.add_all(added)
        rows.extend(added)
        _adopt(loan, new_terms, schedule.instalments[-1].due_date)
        for row in rows:
            set_status(row, serviced_through=loan.accrued_through, paid_on=as_of)
        recompute_balances(loan, rows)
        capitalised = {c: sum((p.amount for p in postings if p.component is c), money(0))
                       for c in CAPITALISED_FROM}
        await complete_transaction(
            session, transaction, loan=loan, balance_change=owed_total(loan) - before_owed,
            lines=capitalisation_lines(loan.id, capitalised), postings=postings,
            details={"before": before_terms, "after": snapshot(loan),
                     "capitalise_arrears": capitalise_arrears},
        )
        await refresh_delinquency(session, loan, as_of=as_of)
        await trail.record(
            session, actor=actor, action="loan.restructured", entity_type="loan",
            entity_id=loan.id, before=before_terms,
            after={**snapshot(loan), "reason": reason, "transaction_id": transaction.id},
        )
        return transaction


def _adopt(loan: Loan, terms: LoanTerms, maturity: dt.date) -> None:
    loan.terms = terms_to_json(terms)
    loan.annual_rate, loan.term = terms.annual_rate, terms.term
    loan.frequency, loan.method = terms.frequency, terms.method
    loan.maturity_date = maturity


def restore(loan: Loan, before: dict[str, Any]) -> None:
    """Put back the terms a restructure replaced (its transaction's `details["before"]`)."""
    loan.terms = before["terms"]
    loan.annual_rate, loan.term = Decimal(before["annual_rate"]), before["term"]
    loan.frequency, loan.method = Frequency(before["frequency"]), InterestMethod(before["method"])
    loan.maturity_date = dt.date.fromisoformat(before["maturity_date"])
