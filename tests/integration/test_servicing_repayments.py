"""Repayment scenarios on TTD 10,000 at 12% over 12 months from 15 January 2024.

Schedule: 1) 15 Feb principal 788.49 + interest 100.00; 2) 15 Mar 796.37 + 92.12;
3) 15 Apr 804.34 + 84.15; … (instalment 888.49).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError, IdempotencyConflict, NotFoundError, ValidationError
from core.ledger.rules import ReceivedInto
from core.loans.models import (
    Allocation,
    Component,
    InstalmentStatus,
    LoanStatus,
    LoanTransaction,
    TransactionType,
)
from core.loans.repayment import apply_provider_payment, record_repayment
from core.loans.servicing import run_servicing
from core.money import Money
from core.payments.ports import PaymentToApply
from core.products.spec import OverpaymentHandling
from tests.integration.servicing_book import (
    ACTOR,
    assert_books_agree,
    entries_keyed,
    fresh,
    journal,
    m,
    open_book,
    open_loan,
    rows,
    table_counts,
)

FEB_15, MAR_15, MAR_20, APR_15 = (dt.date(2024, 2, 15), dt.date(2024, 3, 15),
                                  dt.date(2024, 3, 20), dt.date(2024, 4, 15))


async def pay(session: AsyncSession, loan_id: int, amount: str, on: dt.date,
              key: str) -> LoanTransaction:
    return await record_repayment(session, loan_id=loan_id, amount=m(amount), paid_on=on,
                                  idempotency_key=key, actor=ACTOR)


async def allocations(session: AsyncSession, transaction: LoanTransaction) -> list[tuple]:
    found = await session.scalars(select(Allocation).where(
        Allocation.transaction_id == transaction.id).order_by(Allocation.id))
    return [(a.instalment_id, a.component, str(a.amount)) for a in found]


async def test_a_payment_clears_the_oldest_overdue_instalment_first_late_fee_included(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, late_fee="50.00", grace_days=3)
    await run_servicing(session, as_of=MAR_20)  # both instalments late: a 50.00 fee on each
    assert len(await entries_keyed(session, "servicing:2024-03-20")) == 2  # accrual, late fees
    first, second, third = (await rows(session, loan.id))[:3]
    assert (first.penalty_due, second.penalty_due) == (Decimal("50.00"), Decimal("50.00"))

    # 1,000.00 on 20 March, after accruing 84.15 × 5/31 = 13.57 on instalment 3:
    #   instalment 1: penalty 50.00, interest 100.00, principal 788.49
    #   instalment 2: penalty 50.00, interest 11.51 (of 92.12)
    payment = await pay(session, loan.id, "1000.00", MAR_20, "bank-ref-1")
    assert await allocations(session, payment) == [
        (first.id, Component.PENALTY, "50.00"), (first.id, Component.INTEREST, "100.00"),
        (first.id, Component.PRINCIPAL, "788.49"), (second.id, Component.PENALTY, "50.00"),
        (second.id, Component.INTEREST, "11.51"),
    ]
    # Dr 1110 Bank 1,000.00 / Cr 1240 Penalties 100.00, Cr 1220 Interest 111.51,
    #                         Cr 1210 Principal 788.49
    assert await journal(session, payment) == [
        ("1110", "dr", "1000.00"), ("1210", "cr", "788.49"), ("1220", "cr", "111.51"),
        ("1240", "cr", "100.00")]
    first, second, third = (await rows(session, loan.id))[:3]
    assert (first.status, first.paid_on, second.status) == (
        InstalmentStatus.PAID, MAR_20, InstalmentStatus.DUE)
    assert third.interest_accrued == Decimal("13.57")
    loan = await fresh(session, loan.id)
    assert loan.days_past_due == 5 and loan.oldest_unpaid_due_date == MAR_15
    assert loan.arrears_amount == Decimal("876.98")  # 80.61 interest + 796.37 principal
    assert (loan.principal_outstanding, loan.interest_receivable, loan.penalties_outstanding) == (
        Decimal("9211.51"), Decimal("94.18"), Decimal("0.00"))  # 80.61 + 13.57
    assert payment.balance_change == Decimal("-1000.00")
    await assert_books_agree(session)


async def test_an_overpayment_is_kept_as_credit_and_used_as_instalments_fall_due(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, overpayment=OverpaymentHandling.CREDIT_BALANCE)
    payment = await pay(session, loan.id, "2000.00", FEB_15, "p-1")
    # Dr 1110 2,000.00 / Cr 1220 100.00, Cr 1210 788.49, Cr 2100 Credit balances 1,111.51
    assert await journal(session, payment) == [
        ("1110", "dr", "2000.00"), ("1210", "cr", "788.49"), ("1220", "cr", "100.00"),
        ("2100", "cr", "1111.51")]
    assert (await fresh(session, loan.id)).credit_balance == Decimal("1111.51")

    await run_servicing(session, as_of=MAR_15)  # instalment 2 paid from credit: 888.49
    await run_servicing(session, as_of=APR_15)  # instalment 3: interest 84.15, principal 138.87
    applied = list(await session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.CREDIT_APPLIED
    ).order_by(LoanTransaction.id)))
    assert [t.amount for t in applied] == [Decimal("888.49"), Decimal("223.02")]
    # Dr 2100 Credit balances 888.49 / Cr 1220 92.12, Cr 1210 796.37 (the run's entry)
    assert await journal(session, applied[0]) == [
        ("1210", "cr", "796.37"), ("1220", "cr", "92.12"), ("2100", "dr", "888.49")]
    second, third = (await rows(session, loan.id))[1:3]
    assert second.status is InstalmentStatus.PAID and second.paid_on == MAR_15
    assert (third.interest_paid, third.principal_paid, third.status) == (
        Decimal("84.15"), Decimal("138.87"), InstalmentStatus.DUE)
    loan = await fresh(session, loan.id)
    assert loan.credit_balance == Decimal("0.00")
    assert loan.days_past_due == 0 and loan.arrears_amount == Decimal("0.00")
    await assert_books_agree(session)


async def test_an_overpayment_on_a_prepay_loan_repays_principal_and_shortens_the_loan(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, overpayment=OverpaymentHandling.PREPAY)
    payment = await pay(session, loan.id, "2000.00", FEB_15, "p-1")
    # Instalment 1 (888.49) and 1,111.51 of principal ahead of schedule:
    # Dr 1110 2,000.00 / Cr 1220 100.00, Cr 1210 1,900.00
    assert await journal(session, payment) == [
        ("1110", "dr", "2000.00"), ("1210", "cr", "1900.00"), ("1220", "cr", "100.00")]
    schedule = await rows(session, loan.id)
    # Instalment 2 stays as it was; 3–12 (8,415.14) become 9 instalments over 7,303.63,
    # still at most 888.49 each: 852.63, the last 852.62, ending 15 December 2024.
    assert [(r.version, r.number) for r in schedule[:3]] == [(1, 1), (1, 2), (2, 1)]
    assert len(schedule) == 11
    assert (schedule[1].principal_due, schedule[1].interest_due) == (
        Decimal("796.37"), Decimal("92.12"))
    assert [(r.due_date, r.principal_due, r.interest_due) for r in (schedule[2], schedule[-1])] == [
        (APR_15, Decimal("779.59"), Decimal("73.04")),
        (dt.date(2024, 12, 15), Decimal("844.18"), Decimal("8.44"))]
    assert sum(r.principal_due for r in schedule[2:]) == Decimal("7303.63")
    cancelled = [r for r in await rows(session, loan.id, live=False)
                 if r.status is InstalmentStatus.CANCELLED]
    assert [r.number for r in cancelled] == list(range(3, 13))
    assert {r.cancelled_by_transaction_id for r in cancelled} == {payment.id}
    loan = await fresh(session, loan.id)
    assert loan.principal_outstanding == Decimal("8100.00")
    assert (loan.schedule_version, loan.maturity_date) == (2, dt.date(2024, 12, 15))
    assert (loan.credit_balance, loan.interest_receivable) == (Decimal("0.00"), Decimal("0.00"))
    await assert_books_agree(session)


async def test_more_than_the_payoff_on_a_prepay_loan_is_refused_and_changes_nothing(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, overpayment=OverpaymentHandling.PREPAY)
    before = await table_counts(session)
    # Payoff on 15 February: principal 10,000.00 + interest accrued 100.00.
    with pytest.raises(ValidationError, match=r"more than the TTD 10,100.00 that repays"):
        await pay(session, loan.id, "10100.01", FEB_15, "too-much")
    assert await table_counts(session) == before
    loan = await fresh(session, loan.id)
    assert (loan.accrued_through, loan.interest_receivable) == (
        dt.date(2024, 1, 15), Decimal("0.00"))
    # Exactly the payoff settles the loan.
    settled = await pay(session, loan.id, "10100.00", FEB_15, "all-of-it")
    assert settled.type is TransactionType.SETTLEMENT
    assert (await fresh(session, loan.id)).status is LoanStatus.SETTLED
    await assert_books_agree(session)


async def test_a_retry_returns_the_original_and_a_reused_key_is_a_conflict(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    first = await pay(session, loan.id, "888.49", FEB_15, "stripe:evt_1")
    before = await table_counts(session)
    again = await pay(session, loan.id, "888.49", FEB_15, "stripe:evt_1")
    assert again.id == first.id
    assert await table_counts(session) == before
    with pytest.raises(IdempotencyConflict, match="already used for a different request"):
        await pay(session, loan.id, "100.00", FEB_15, "stripe:evt_1")
    assert await table_counts(session) == before
    await assert_books_agree(session)


@pytest.mark.parametrize(("amount", "message"), [
    (Money.of("0.00"), "more than zero"), (Money.of("-5.00"), "more than zero"),
    (Money.of("5.00", "USD"), "repaid in TTD"),
])
async def test_bad_payments_are_refused_and_change_nothing(
    session: AsyncSession, amount: Money, message: str
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    before = await table_counts(session)
    with pytest.raises(ValidationError, match=message):
        await record_repayment(session, loan_id=loan.id, amount=amount, paid_on=FEB_15,
                               idempotency_key="bad", actor=ACTOR)
    with pytest.raises(ValidationError, match="paid out on 2024-01-15"):
        await pay(session, loan.id, "10.00", dt.date(2024, 1, 1), "early")
    with pytest.raises(NotFoundError):
        await pay(session, 999_999, "10.00", FEB_15, "nobody")
    with pytest.raises(ValidationError, match="idempotency key"):
        await pay(session, loan.id, "10.00", FEB_15, "  ")
    assert await table_counts(session) == before


async def test_a_closed_loan_takes_no_payment(session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, principal="1000.00", term=1)
    await pay(session, loan.id, "1010.00", FEB_15, "all")
    assert (await fresh(session, loan.id)).status is LoanStatus.PAID_OFF
    with pytest.raises(ConflictError, match="paid off"):
        await pay(session, loan.id, "1.00", FEB_15, "more")


async def test_provider_payments_come_through_the_payments_port_once(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book)
    payment = PaymentToApply(
        loan_id=loan.id, customer_id=book.customer_id, amount=m("888.49"),
        idempotency_key="stripe:evt_9", provider="stripe", provider_payment_id="pi_9",
        intent_reference="pay_9",
        received_at=dt.datetime(2024, 2, 16, 2, 30, tzinfo=dt.UTC),  # 15 Feb, 22:30 local
    )
    reference = await apply_provider_payment(session, payment)
    assert reference == await apply_provider_payment(session, payment)
    transaction = await session.get(LoanTransaction, int(reference.split(":")[1]))
    assert transaction is not None
    assert (transaction.effective_date, transaction.idempotency_key) == (FEB_15, "stripe:evt_9")
    assert ("1120", "dr", "888.49") in await journal(session, transaction)
    assert transaction.details is not None and transaction.details["reference"] == "pi_9"
    assert ReceivedInto.CLEARING.value == "clearing"
    await assert_books_agree(session)
