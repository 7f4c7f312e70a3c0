"""Properties of servicing under random sequences of loan events.

Each example opens a loan (random policy and late fee) and applies random events:
repayments of random sizes and dates, servicing runs, fees and penalties, reversals of a
random earlier transaction, a write-off, replays of an earlier payment's key. After every
event: the trial balance nets to zero, the sub-ledger reconciles to the GL, cached balances
match the instalments, nothing is negative, each payment's allocations add up to it, and a
refused event or a replay changed nothing. Each example runs in a savepoint rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.ledger.rules import ChargeKind
from core.loans.charges import charge
from core.loans.models import Allocation, LoanTransaction, TransactionType
from core.loans.repayment import record_repayment
from core.loans.reversal import reverse_transaction
from core.loans.servicing import run_servicing
from core.loans.writeoff import write_off
from core.money import Money
from core.products.spec import OverpaymentHandling
from tests.integration.servicing_book import (
    ACTOR,
    assert_books_agree,
    open_book,
    open_loan,
    table_counts,
)

START = dt.date(2024, 1, 15)


@dataclass(frozen=True)
class Event:
    kind: str
    days: int
    cents: int = 0
    pick: int = 0


EVENTS = st.one_of(
    st.builds(Event, st.just("pay"), st.integers(0, 45), st.integers(1, 400_000)),
    st.builds(Event, st.just("run"), st.integers(1, 45)),
    st.builds(Event, st.just("charge"), st.integers(0, 20), st.integers(1, 20_000),
              st.integers(0, 1)),
    st.builds(Event, st.just("reverse"), st.integers(0, 5), pick=st.integers(0, 50)),
    st.builds(Event, st.just("write_off"), st.integers(0, 60)),
    st.builds(Event, st.just("replay"), st.integers(0, 0), pick=st.integers(0, 50)),
)


async def check_invariants(session: AsyncSession) -> None:
    await assert_books_agree(session)
    negative = await session.scalar(text(
        "SELECT count(*) FROM loans WHERE LEAST(principal_outstanding, interest_receivable, "
        "fees_outstanding, penalties_outstanding, credit_balance, arrears_amount) < 0"))
    assert negative == 0
    unbalanced = await session.execute(
        select(LoanTransaction.id, LoanTransaction.amount, func.sum(Allocation.amount))
        .join(Allocation, Allocation.transaction_id == LoanTransaction.id)
        .where(LoanTransaction.type.in_([TransactionType.REPAYMENT, TransactionType.SETTLEMENT,
                                         TransactionType.WRITE_OFF]))
        .group_by(LoanTransaction.id)
        .having(LoanTransaction.amount != func.sum(Allocation.amount)))
    assert unbalanced.all() == []


async def apply(session: AsyncSession, loan_id: int, event: Event, day: dt.date,
                payments: list[tuple[str, Money, dt.date]]) -> None:
    if event.kind == "pay":
        key = f"pay-{day}-{event.cents}"
        amount = Money.of(Decimal(event.cents) / 100)
        await record_repayment(session, loan_id=loan_id, amount=amount, paid_on=day,
                               idempotency_key=key, actor=ACTOR)
        payments.append((key, amount, day))
    elif event.kind == "run":
        await run_servicing(session, as_of=day)
    elif event.kind == "charge":
        await charge(session, loan_id=loan_id, amount=Money.of(Decimal(event.cents) / 100),
                     kind=(ChargeKind.FEE, ChargeKind.PENALTY)[event.pick], on=day,
                     reason="random charge", actor=ACTOR, idempotency_key=f"charge-{day}")
    elif event.kind == "reverse":
        standing = list(await session.scalars(
            select(LoanTransaction.id).where(
                LoanTransaction.loan_id == loan_id,
                LoanTransaction.type != TransactionType.REVERSAL,
                LoanTransaction.reversed_by_transaction_id.is_(None))
            .order_by(LoanTransaction.id)))
        if standing:  # empty once the disbursement itself was reversed
            await reverse_transaction(session, transaction_id=standing[event.pick % len(standing)],
                                      on=day, reason="property", actor=ACTOR)
    elif event.kind == "write_off":
        await write_off(session, loan_id=loan_id, as_of=day, reason="property", actor=ACTOR)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    policy=st.sampled_from(list(OverpaymentHandling)),
    late_fee=st.sampled_from(["0.00", "35.00"]),
    term=st.integers(2, 8),
    events=st.lists(EVENTS, min_size=1, max_size=10),
)
async def test_random_event_sequences_keep_the_books_whole(
    session: AsyncSession, policy: OverpaymentHandling, late_fee: str, term: int,
    events: list[Event],
) -> None:
    async with session.begin_nested() as example:
        book = await open_book(session)
        loan = await open_loan(session, book, principal="3000.00", term=term,
                               overpayment=policy, late_fee=late_fee, grace_days=2,
                               settlement_fee="0.01")
        loan_id = loan.id  # a refused event rolls its savepoint back, expiring `loan`
        day = START
        payments: list[tuple[str, Money, dt.date]] = []
        for event in events:
            day += dt.timedelta(days=event.days)
            before = await table_counts(session)
            if event.kind == "replay":
                if not payments:
                    continue
                key, amount, paid_on = payments[event.pick % len(payments)]
                again = await record_repayment(session, loan_id=loan_id, amount=amount,
                                               paid_on=paid_on, idempotency_key=key, actor=ACTOR)
                assert again.idempotency_key == key
                assert await table_counts(session) == before
                continue
            try:
                await apply(session, loan_id, event, day, payments)
            except DomainError:
                assert await table_counts(session) == before
            await check_invariants(session)
        await example.rollback()
