"""Following settlement offers against the loan's payments, and settling the loan when an
accepted offer is paid.

What counts: every repayment on the loan dated from the acceptance through the evaluation
date and not reversed, in date order. Plan instalment k is met when the payments dated up
to its due date plus the offer's grace days add up to instalments 1..k.

`evaluate_offer` as of a date D (idempotent: the same D and payments give the same result;
a closed offer is returned as it is):
- PROPOSED or APPROVED, D after the acceptance deadline → EXPIRED (closed the day after);
- ACCEPTED, the loan repaid in full some other way → COMPLETED, nothing forgiven;
- ACCEPTED, the loan written off or cancelled → BROKEN;
- ACCEPTED, an instalment whose grace ended before D not met → BROKEN (closed the day after
  that grace ended). Nothing on the loan changed while the plan ran, so it simply carries on
  under its contract: payments made stay applied, nothing is forgiven;
- ACCEPTED, the payments reach the offer's amount → COMPLETED on D, the loan settled.

Settling (here, not in `core.loans.settlement`, which closes a loan only against a payment
of its full payoff): the loan is serviced through D; its credit balance pays what it can
(penalties, fees, interest, principal, like a payment); the rest of each component is
forgiven (`core.ledger.rules.forgiveness`: Dr 5300 settlement discounts, Cr the
receivables); every live instalment is marked paid and the loan becomes SETTLED. Interest
and fees charged while the plan ran are part of that rest. One SETTLEMENT loan transaction
keyed `settlement-offer:{id}` and its journal entry, recorded by
`core.loans.transactions.record_transaction` (which posts through
`core.ledger.posting.post_entry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.settlement_models import OfferStatus, SettlementInstalment, SettlementOffer
from core.collections.settlement_queries import load_offer, offer_instalments, view
from core.errors import ValidationError
from core.ledger import rules
from core.ledger.lines import Line
from core.loans.models import (
    Component,
    Loan,
    LoanStatus,
    LoanTransaction,
    TransactionType,
)
from core.loans.settlement import owed_total, pay_everything, split_in_payment_order
from core.loans.transactions import (
    Posting,
    instalments,
    payload_digest,
    recompute_balances,
    record_transaction,
    up_to_date,
)
from core.money import Money, total

ZERO = Decimal(0)


async def _payments(session: AsyncSession, offer: SettlementOffer,
                    as_of: dt.date) -> list[tuple[dt.date, Decimal]]:
    assert offer.accepted_on is not None  # only accepted offers count payments
    rows = await session.execute(
        select(LoanTransaction.effective_date, LoanTransaction.amount)
        .where(LoanTransaction.loan_id == offer.loan_id,
               LoanTransaction.type == TransactionType.REPAYMENT,
               LoanTransaction.reversed_by_transaction_id.is_(None),
               LoanTransaction.effective_date >= offer.accepted_on,
               LoanTransaction.effective_date <= as_of)
        .order_by(LoanTransaction.effective_date, LoanTransaction.id))
    return [(day, amount) for day, amount in rows]


def _cover(rows: Sequence[SettlementInstalment], payments: Sequence[tuple[dt.date, Decimal]]
           ) -> Decimal:
    """Spread the payments over the plan in order; returns their total."""
    paid = sum((amount for _, amount in payments), ZERO)
    target = ZERO
    for row in rows:
        row.paid = min(max(paid - target, ZERO), row.amount)
        target += row.amount
        running, row.covered_on = ZERO, None
        for day, amount in payments:
            running += amount
            if running >= target:
                row.covered_on = day
                break
    return paid


def _missed(rows: Sequence[SettlementInstalment], grace: int,
            as_of: dt.date) -> SettlementInstalment | None:
    for row in rows:
        deadline = row.due_date + dt.timedelta(days=grace)
        if deadline < as_of and (row.covered_on is None or row.covered_on > deadline):
            return row
    return None


async def _settle_loan(session: AsyncSession, offer: SettlementOffer, as_of: dt.date,
                       actor: str) -> tuple[Money, LoanTransaction | None]:
    """Settle the offer's loan on `as_of`, forgiving what the credit balance does not pay."""
    loan = await up_to_date(session, loan_id=offer.loan_id, as_of=as_of, actor=actor)
    if as_of < loan.accrued_through:
        raise ValidationError(f"Loan {loan.number} has been serviced through "
                              f"{loan.accrued_through}; evaluate the offer as of that date "
                              "or later.")
    receivable = (loan.principal_outstanding + loan.interest_receivable
                  + loan.fees_outstanding + loan.penalties_outstanding)
    if loan.status is not LoanStatus.ACTIVE or not receivable:
        return Money.zero(loan.currency), None
    before = owed_total(loan)
    rows = await instalments(session, loan.id)
    parts, postings = pay_everything(rows, as_of, loan.currency)
    owed = total(list(parts.values()), loan.currency)
    used = Money.of(loan.credit_balance, loan.currency).min(owed)
    from_credit, forgiven = split_in_payment_order(parts, used)
    forgiven_total = total(list(forgiven.values()), loan.currency)
    lines: list[Line] = []
    if used:
        postings.append(Posting(None, Component.CREDIT, -used))
        lines += rules.repayment(
            loan_id=loan.id, received=used, penalties=from_credit[Component.PENALTY],
            fees=from_credit[Component.FEE], interest=from_credit[Component.INTEREST],
            principal=from_credit[Component.PRINCIPAL],
            received_into=rules.ReceivedInto.CUSTOMER_CREDIT)
    if forgiven_total:
        lines += rules.forgiveness(
            loan_id=loan.id, principal=forgiven[Component.PRINCIPAL],
            interest=forgiven[Component.INTEREST], fees=forgiven[Component.FEE],
            penalties=forgiven[Component.PENALTY])
    loan.status, loan.closed_on = LoanStatus.SETTLED, as_of
    loan.credit_balance -= used.amount
    recompute_balances(loan, rows)
    loan.days_past_due, loan.oldest_unpaid_due_date, loan.arrears_amount = 0, None, ZERO
    transaction = await record_transaction(
        session, loan=loan, type=TransactionType.SETTLEMENT, amount=owed,
        balance_change=owed_total(loan) - before, effective_date=as_of,
        key=f"settlement-offer:{offer.id}",
        digest=payload_digest({"offer_id": offer.id, "as_of": as_of}), lines=lines,
        description=f"Settled under settlement offer {offer.id}", actor=actor,
        postings=postings,
        details={"settlement_offer_id": offer.id, "credit_used": str(used.amount),
                 **{f"forgiven_{c.value}": str(m.amount) for c, m in forgiven.items() if m}},
    )
    await trail.record(session, actor=actor, action="loan.settled", entity_type="loan",
                       entity_id=loan.id, before={"status": LoanStatus.ACTIVE},
                       after={"status": loan.status, "on": as_of, "settlement_offer": offer.id,
                              "credit_used": used.amount, "forgiven": forgiven_total.amount,
                              "transaction_id": transaction.id})
    return forgiven_total, transaction


async def _close(session: AsyncSession, offer: SettlementOffer, status: OfferStatus,
                 on: dt.date, reason: str, actor: str, before: dict[str, object]) -> None:
    offer.status, offer.closed_on, offer.close_reason = status, on, reason
    await session.flush()
    await trail.record(session, actor=actor, action=f"settlement.{status.value}",
                       entity_type="settlement_offer", entity_id=offer.id, before=before,
                       after={**view(offer), "paid": offer.paid, "forgiven": offer.forgiven})


async def evaluate_offer(session: AsyncSession, *, offer_id: int, as_of: dt.date,
                         actor: str) -> SettlementOffer:
    """Bring one offer up to date as of `as_of` (see the module docstring) and return it.

    Raises `NotFoundError` for an unknown offer and `ValidationError` for a date before the
    acceptance or, when it settles the loan, before the loan's last servicing date.
    """
    offer = await load_offer(session, offer_id, lock=True)
    before = view(offer)
    if offer.status in {OfferStatus.PROPOSED, OfferStatus.APPROVED}:
        if as_of > offer.expires_on:
            await _close(session, offer, OfferStatus.EXPIRED,
                         offer.expires_on + dt.timedelta(days=1),
                         f"Not accepted by {offer.expires_on}.", actor, before)
        return offer
    if offer.status is not OfferStatus.ACCEPTED:
        return offer
    assert offer.accepted_on is not None  # ACCEPTED offers carry their date
    if as_of < offer.accepted_on:
        raise ValidationError(f"Settlement offer {offer.id} was accepted on "
                              f"{offer.accepted_on}; evaluate it from that date on.")
    loan = await session.scalar(select(Loan).where(Loan.id == offer.loan_id)
                                .execution_options(populate_existing=True))
    assert loan is not None  # the offer's foreign key
    if loan.status in {LoanStatus.PAID_OFF, LoanStatus.SETTLED}:
        offer.forgiven = ZERO
        await _close(session, offer, OfferStatus.COMPLETED, loan.closed_on or as_of,
                     "The loan was repaid in full.", actor, before)
        return offer
    if loan.status is not LoanStatus.ACTIVE:
        await _close(session, offer, OfferStatus.BROKEN, loan.closed_on or as_of,
                     f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}.", actor,
                     before)
        return offer
    rows = await offer_instalments(session, offer.id)
    payments = await _payments(session, offer, as_of)
    offer.paid, offer.evaluated_on = _cover(rows, payments), as_of
    missed = _missed(rows, offer.grace_days, as_of)
    if missed is not None:
        deadline = missed.due_date + dt.timedelta(days=offer.grace_days)
        due = sum((r.amount for r in rows if r.number <= missed.number), ZERO)
        paid = sum((amount for day, amount in payments if day <= deadline), ZERO)
        currency = offer.currency
        await _close(session, offer, OfferStatus.BROKEN, deadline + dt.timedelta(days=1),
                     f"Instalment {missed.number} of {Money.of(missed.amount, currency)} due "
                     f"{missed.due_date} was not paid by {deadline}: "
                     f"{Money.of(paid, currency)} of the {Money.of(due, currency)} due by then "
                     "was paid. The loan continues under its contract.", actor, before)
    elif offer.paid >= offer.amount:
        forgiven, transaction = await _settle_loan(session, offer, as_of, actor)
        offer.forgiven = forgiven.amount
        offer.settlement_transaction_id = transaction.id if transaction else None
        await _close(session, offer, OfferStatus.COMPLETED, as_of,
                     f"Paid {Money.of(offer.paid, offer.currency)}; {forgiven} forgiven.",
                     actor, before)
    await session.flush()
    return offer


async def evaluate_open_offers(session: AsyncSession, *, as_of: dt.date,
                               actor: str) -> dict[OfferStatus, int]:
    """`evaluate_offer` for every accepted offer and every unaccepted one past its deadline
    (a daily job); returns how many offers moved into each status."""
    ids = await session.scalars(select(SettlementOffer.id).where(or_(
        SettlementOffer.status == OfferStatus.ACCEPTED,
        (SettlementOffer.status.in_([OfferStatus.PROPOSED, OfferStatus.APPROVED])
         & (SettlementOffer.expires_on < as_of)),
    )).order_by(SettlementOffer.id))
    moved: dict[OfferStatus, int] = {}
    for offer_id in list(ids):
        offer = await evaluate_offer(session, offer_id=offer_id, as_of=as_of, actor=actor)
        if offer.status is not OfferStatus.ACCEPTED:
            moved[offer.status] = moved.get(offer.status, 0) + 1
    return moved
