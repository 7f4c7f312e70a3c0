"""Early settlement: what it takes to close a loan on a date, and closing it with that.

Payoff on date D = principal outstanding + interest accrued through D and unpaid + fees +
penalties + early-settlement fee − credit balance. The fee is the loan's percentage of the
principal repaid early, i.e. not yet due on D, rounded half up (nothing once every instalment
is due). Interest not yet accrued on D (the rest of the current period and every later one)
is not owed: settling stops the loan's interest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, ValidationError
from core.ledger import rules
from core.ledger.lines import Line
from core.loans.allocation import ORDER
from core.loans.models import (
    Component,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    LoanTransaction,
    TransactionType,
)
from core.loans.transactions import (
    Posting,
    check_key,
    instalments,
    payload_digest,
    recompute_balances,
    record_transaction,
    replayed,
    up_to_date,
)
from core.money import Money


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    """The amount that closes the loan on `as_of`, and what it is made of."""

    loan_id: int
    as_of: dt.date
    principal: Money
    interest: Money
    fees: Money
    penalties: Money
    settlement_fee: Money
    credit: Money

    @property
    def owed(self) -> Money:
        return self.principal + self.interest + self.fees + self.penalties

    @property
    def total(self) -> Money:
        """What the borrower pays: everything owed plus the fee, less their credit."""
        return self.owed + self.settlement_fee - self.credit


def early_principal(rows: Sequence[Instalment]) -> Decimal:
    """Principal on instalments not yet due: what a settlement repays early."""
    return sum((r.principal_due - r.principal_paid for r in rows
                if r.status is InstalmentStatus.PENDING), Decimal(0))


def quote_for(loan: Loan, rows: Sequence[Instalment], as_of: dt.date) -> SettlementQuote:
    """The quote from a loan's cached balances and live instalments, serviced through
    `as_of`."""
    def money(value: Decimal | int) -> Money:
        return Money.of(value, loan.currency)

    principal = money(loan.principal_outstanding)
    return SettlementQuote(
        loan_id=loan.id, as_of=as_of, principal=principal,
        interest=money(loan.interest_receivable), fees=money(loan.fees_outstanding),
        penalties=money(loan.penalties_outstanding),
        settlement_fee=money(early_principal(rows)).times(loan.early_settlement_fee_percent),
        credit=money(loan.credit_balance),
    )


def owed_total(loan: Loan) -> Money:
    """What the borrower owes now: principal + interest receivable + fees + penalties −
    credit balance (negative when the credit is larger). Statements run on this figure."""
    return Money.of(
        loan.principal_outstanding + loan.interest_receivable + loan.fees_outstanding
        + loan.penalties_outstanding - loan.credit_balance, loan.currency,
    )


def _check_active(loan: Loan) -> None:
    if loan.status is not LoanStatus.ACTIVE:
        raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}.")


def _check_date(loan: Loan, as_of: dt.date) -> None:
    if as_of < loan.accrued_through:
        raise ValidationError(
            f"Loan {loan.number} has been serviced through {loan.accrued_through}; a "
            f"settlement cannot be dated {as_of}, before that."
        )


async def settlement_quote(
    session: AsyncSession, *, loan_id: int, as_of: dt.date
) -> SettlementQuote:
    """The payoff of an ACTIVE loan on `as_of` (on or after its last servicing date).

    Read-only: the servicing it needs through `as_of` (accrual, late fees) is worked out
    in a savepoint and rolled back. Raises `NotFoundError`, `ConflictError` for a loan
    that is not active, `ValidationError` for a date before its last servicing.
    """
    async with session.begin_nested() as savepoint:
        loan = await up_to_date(session, loan_id=loan_id, as_of=as_of)
        _check_active(loan)
        _check_date(loan, as_of)
        result = quote_for(loan, await instalments(session, loan.id), as_of)
        await savepoint.rollback()
    return result


def split_in_payment_order(
    parts: dict[Component, Money], first: Money
) -> tuple[dict[Component, Money], dict[Component, Money]]:
    """Take `first` out of `parts` in payment order: (what it covers, what is left)."""
    taken: dict[Component, Money] = {}
    left: dict[Component, Money] = {}
    budget = first
    for component in ORDER:
        amount = parts[component]
        covered = budget.min(amount)
        taken[component], left[component] = covered, amount - covered
        budget = budget - covered
    return taken, left


def _receipt(parts: dict[Component, Money], received: Money, loan_id: int,
             into: rules.ReceivedInto) -> list[Line]:
    if not received:
        return []
    return rules.repayment(
        loan_id=loan_id, received=received, penalties=parts[Component.PENALTY],
        fees=parts[Component.FEE], interest=parts[Component.INTEREST],
        principal=parts[Component.PRINCIPAL], received_into=into,
    )


def pay_everything(
    rows: Sequence[Instalment], on: dt.date, currency: str
) -> tuple[dict[Component, Money], list[Posting]]:
    """Mark every live instalment paid on `on`: what was left by component, and the postings."""
    left = {component: Money.zero(currency) for component in ORDER}
    postings = []
    for row in rows:
        owed = {
            Component.PENALTY: row.penalty_due - row.penalty_paid,
            Component.FEE: row.fee_due - row.fee_paid,
            Component.INTEREST: row.interest_accrued - row.interest_paid,
            Component.PRINCIPAL: row.principal_due - row.principal_paid,
        }
        for component, amount in owed.items():
            if amount:
                left[component] += Money.of(amount, currency)
                postings.append(Posting(row.id, component, Money.of(amount, currency)))
        row.penalty_paid, row.fee_paid = row.penalty_due, row.fee_due
        row.interest_paid, row.principal_paid = row.interest_accrued, row.principal_due
        row.status, row.paid_on = InstalmentStatus.PAID, on
    return left, postings


async def settle(
    session: AsyncSession,
    *,
    loan_id: int,
    as_of: dt.date,
    idempotency_key: str,
    actor: str,
    amount: Money | None = None,
    received_into: rules.ReceivedInto = rules.ReceivedInto.BANK,
) -> LoanTransaction:
    """Close an ACTIVE loan early by paying its payoff on `as_of` (see the module docstring).

    When `amount` is given it must equal the payoff exactly. Pays every live instalment in
    full (interest as accrued through `as_of`), charges and collects the early-settlement
    fee, uses the credit balance, marks the loan SETTLED, posts one entry (the fee charged,
    then the receipt from the bank and from the credit balance) and audits `loan.settled`.
    A retry with the same key returns the first settlement. Refused (nothing changes) with
    `ConflictError` for a loan not active or whose credit already covers everything, and
    `ValidationError` for a wrong amount or a date before the last servicing.
    """
    key = check_key(idempotency_key)
    digest = payload_digest({"loan_id": loan_id, "as_of": as_of, "type": "settlement",
                             "amount": amount.amount if amount else None})
    async with session.begin_nested():
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            return earlier
        loan = await up_to_date(session, loan_id=loan_id, as_of=as_of, actor=actor)
        _check_active(loan)
        _check_date(loan, as_of)
        quote = quote_for(loan, await instalments(session, loan.id), as_of)
        if amount is not None and amount != quote.total:
            raise ValidationError(
                f"The amount that settles loan {loan.number} on {as_of} is {quote.total}, "
                f"not {amount}."
            )
        if not quote.total.is_positive():
            raise ConflictError(
                f"The credit balance of {quote.credit} already covers the {quote.owed} owed "
                f"on loan {loan.number}; it is used as instalments fall due."
            )
        return await close_with(session, loan, quote, key=key, digest=digest, actor=actor,
                                received_into=received_into)


async def close_with(
    session: AsyncSession, loan: Loan, quote: SettlementQuote, *, key: str, digest: str,
    actor: str, received_into: rules.ReceivedInto,
) -> LoanTransaction:
    """Settle a locked, up-to-date ACTIVE loan with `quote` (the body of `settle`)."""
    rows = await instalments(session, loan.id)
    before = owed_total(loan)
    _, postings = pay_everything(rows, quote.as_of, loan.currency)
    postings.append(Posting(None, Component.FEE, quote.settlement_fee))
    postings.append(Posting(None, Component.CREDIT, -quote.credit))
    parts = {
        Component.PENALTY: quote.penalties, Component.FEE: quote.fees + quote.settlement_fee,
        Component.INTEREST: quote.interest, Component.PRINCIPAL: quote.principal,
    }
    from_credit, from_cash = split_in_payment_order(parts, quote.credit)
    lines = [
        *(rules.charge(loan_id=loan.id, amount=quote.settlement_fee, kind=rules.ChargeKind.FEE)
          if quote.settlement_fee else []),
        *_receipt(from_credit, quote.credit, loan.id, rules.ReceivedInto.CUSTOMER_CREDIT),
        *_receipt(from_cash, quote.total, loan.id, received_into),
    ]
    loan.status, loan.closed_on = LoanStatus.SETTLED, quote.as_of
    loan.credit_balance = loan.credit_balance - quote.credit.amount
    recompute_balances(loan, rows)
    loan.days_past_due, loan.oldest_unpaid_due_date, loan.arrears_amount = 0, None, Decimal("0.00")
    transaction = await record_transaction(
        session, loan=loan, type=TransactionType.SETTLEMENT, amount=quote.total,
        balance_change=owed_total(loan) - before, effective_date=quote.as_of, key=key,
        digest=digest, lines=lines, description="Early settlement", actor=actor,
        postings=postings,
        details={"settlement_fee": str(quote.settlement_fee.amount),
                 "credit_used": str(quote.credit.amount)},
    )
    await trail.record(
        session, actor=actor, action="loan.settled", entity_type="loan", entity_id=loan.id,
        before={"status": LoanStatus.ACTIVE}, after={
            "status": loan.status, "paid": quote.total.amount, "on": quote.as_of,
            "settlement_fee": quote.settlement_fee.amount, "transaction_id": transaction.id,
        },
    )
    return transaction
