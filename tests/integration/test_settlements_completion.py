"""Settlements followed to the end: completion settles the loan and posts the forgiven
remainder to the GL, a missed plan instalment breaks the offer, an unaccepted offer expires.

The loan (tests/integration/settlement_support.py) owes TTD 10,230.69 on 20 March 2024.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.settlement_models import OfferKind, OfferStatus, SettlementOffer
from core.collections.settlement_progress import evaluate_offer, evaluate_open_offers
from core.collections.settlement_queries import offer_instalments
from core.collections.settlements import accept_offer, make_offer
from core.errors import ValidationError
from core.loans.models import Loan, LoanStatus, LoanTransaction, TransactionType
from core.loans.repayment import record_repayment
from core.loans.reversal import reverse_transaction
from core.loans.settlement import owed_total, settlement_quote
from tests.integration.servicing_book import assert_books_agree, fresh, gl, journal, m
from tests.integration.settlement_support import OFFER_DAY, Team, arrears_loan, counts, team

SYSTEM = "system:collections"


@pytest.fixture
async def people(session: AsyncSession) -> Team:
    return await team(session)


@pytest.fixture
async def loan(session: AsyncSession) -> Loan:
    return await arrears_loan(session)


async def pay(session: AsyncSession, loan: Loan, amount: str, on: dt.date) -> LoanTransaction:
    return await record_repayment(session, loan_id=loan.id, amount=m(amount), paid_on=on,
                                  idempotency_key=f"pay-{loan.id}-{on}-{amount}",
                                  actor="test:payments")


async def settlements_of(session: AsyncSession, loan: Loan) -> list[LoanTransaction]:
    rows = await session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == TransactionType.SETTLEMENT))
    return list(rows)


async def plan(session: AsyncSession, people: Team, loan: Loan) -> SettlementOffer:
    """TTD 9,000.00 in three monthly instalments of 3,000.00 from 1 April (discount
    1,230.69 = 12.03%: within the supervisor's 30%), accepted on 22 March."""
    made = await make_offer(session, loan_id=loan.id, staff_id=people.supervisor.id,
                            kind=OfferKind.PLAN, instalments=3, amount=m("9000.00"),
                            first_due_date=dt.date(2024, 4, 1), today=OFFER_DAY)
    assert made.status is OfferStatus.APPROVED
    return await accept_offer(session, offer_id=made.id, accepted_on=dt.date(2024, 3, 22),
                              via="phone call", actor=f"staff:{people.collector.id}")


async def test_a_paid_lump_sum_settles_the_loan_and_posts_the_forgiven_remainder(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await make_offer(session, loan_id=loan.id, staff_id=people.supervisor.id,
                            kind=OfferKind.LUMP_SUM, amount=m("8000.00"),
                            first_due_date=dt.date(2024, 4, 5), today=OFFER_DAY)
    assert (made.status, made.discount) == (OfferStatus.APPROVED, m("2230.69").amount)
    await accept_offer(session, offer_id=made.id, accepted_on=dt.date(2024, 3, 21),
                       via="whatsapp chat", actor="agent")
    # On 2 April the loan owes 10,290.98 (principal 10,000.00, interest 240.98, two late
    # fees 50.00). The 8,000.00 pays the two due instalments (1,826.98) and leaves a credit
    # of 6,173.02; principal 8,415.14 and interest 48.86 remain.
    await pay(session, loan, "8000.00", dt.date(2024, 4, 2))
    before_gl = await gl(session)

    done = await evaluate_offer(session, offer_id=made.id, as_of=dt.date(2024, 4, 2),
                                actor=SYSTEM)
    assert (done.status, done.closed_on, done.paid, done.forgiven) == (
        OfferStatus.COMPLETED, dt.date(2024, 4, 2), m("8000.00").amount, m("2290.98").amount)
    assert done.close_reason == "Paid TTD 8,000.00; TTD 2,290.98 forgiven."
    [settlement] = await settlements_of(session, loan)
    assert settlement.id == done.settlement_transaction_id
    assert (settlement.amount, settlement.balance_change, settlement.effective_date) == (
        m("8464.00").amount, m("-2290.98").amount, dt.date(2024, 4, 2))
    assert await journal(session, settlement) == [
        ("1210", "cr", "2290.98"),  # principal forgiven
        ("1210", "cr", "6124.16"),  # principal paid from the credit balance
        ("1220", "cr", "48.86"),    # interest paid from the credit balance
        ("2100", "dr", "6173.02"),  # the credit balance used
        ("5300", "dr", "2290.98"),  # settlement discounts and forgiveness
    ]
    after_gl = await gl(session)
    assert after_gl["5300"] - before_gl.get("5300", m(0)) == m("2290.98")
    assert after_gl["1210"] == m(0) and after_gl["2100"] == m(0)
    settled = await fresh(session, loan.id)
    assert (settled.status, settled.closed_on, owed_total(settled), settled.credit_balance) == (
        LoanStatus.SETTLED, dt.date(2024, 4, 2), m(0), m(0).amount)
    await assert_books_agree(session)

    rows = await counts(session)
    again = await evaluate_offer(session, offer_id=made.id, as_of=dt.date(2024, 4, 10),
                                 actor=SYSTEM)
    assert again.status is OfferStatus.COMPLETED and await counts(session) == rows


async def test_a_plan_counts_payments_and_completes_on_the_last_one(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    offer = await plan(session, people, loan)
    bounced = await pay(session, loan, "1000.00", dt.date(2024, 3, 25))
    await reverse_transaction(session, transaction_id=bounced.id, on=dt.date(2024, 3, 26),
                              reason="cheque bounced", actor="test:payments")
    await pay(session, loan, "2500.00", dt.date(2024, 3, 28))
    await pay(session, loan, "500.00", dt.date(2024, 4, 4))  # within the 5 days' grace
    await pay(session, loan, "3000.00", dt.date(2024, 5, 3))

    halfway = await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 5, 10),
                                   actor=SYSTEM)
    assert (halfway.status, halfway.paid, halfway.evaluated_on) == (
        OfferStatus.ACCEPTED, m("6000.00").amount, dt.date(2024, 5, 10))
    assert [(r.paid, r.covered_on) for r in await offer_instalments(session, offer.id)] == [
        (m("3000.00").amount, dt.date(2024, 4, 4)), (m("3000.00").amount, dt.date(2024, 5, 3)),
        (m(0).amount, None)]
    rows = await counts(session)
    await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 5, 10), actor=SYSTEM)
    assert await counts(session) == rows

    # On 1 June, after the last 3,000.00: principal 6,798.42 and interest 37.27 remain
    # against a credit of 5,396.04, so 1,439.65 is forgiven.
    await pay(session, loan, "3000.00", dt.date(2024, 6, 1))
    done = await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 6, 1),
                                actor=SYSTEM)
    assert (done.status, done.paid, done.forgiven) == (
        OfferStatus.COMPLETED, m("9000.00").amount, m("1439.65").amount)
    [settlement] = await settlements_of(session, loan)
    assert settlement.details == {"settlement_offer_id": offer.id, "credit_used": "5396.04",
                                  "forgiven_principal": "1439.65"}
    assert await journal(session, settlement) == [
        ("1210", "cr", "1439.65"), ("1210", "cr", "5358.77"), ("1220", "cr", "37.27"),
        ("2100", "dr", "5396.04"), ("5300", "dr", "1439.65")]
    assert (await fresh(session, loan.id)).status is LoanStatus.SETTLED
    await assert_books_agree(session)


async def test_a_missed_instalment_breaks_the_plan_and_the_loan_carries_on(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    offer = await plan(session, people, loan)
    await pay(session, loan, "3000.00", dt.date(2024, 3, 28))
    on_time = await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 5, 6),
                                   actor=SYSTEM)
    assert on_time.status is OfferStatus.ACCEPTED  # grace runs through 6 May
    await pay(session, loan, "3000.00", dt.date(2024, 5, 7))
    owed_before = owed_total(await fresh(session, loan.id))

    broken = await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 5, 7),
                                  actor=SYSTEM)
    assert (broken.status, broken.closed_on, broken.forgiven) == (
        OfferStatus.BROKEN, dt.date(2024, 5, 7), None)
    assert broken.close_reason == (
        "Instalment 2 of TTD 3,000.00 due 2024-05-01 was not paid by 2024-05-06: TTD 3,000.00 "
        "of the TTD 6,000.00 due by then was paid. The loan continues under its contract.")
    after = await fresh(session, loan.id)
    assert (after.status, owed_total(after)) == (LoanStatus.ACTIVE, owed_before)
    assert await settlements_of(session, loan) == []
    await assert_books_agree(session)

    rows = await counts(session)
    await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 6, 30), actor=SYSTEM)
    assert await counts(session) == rows
    # Months later the loan is in arrears again and a new offer may be made.
    later = dt.date(2024, 9, 20)
    payoff = (await settlement_quote(session, loan_id=loan.id, as_of=later)).total
    fresh_offer = await make_offer(session, loan_id=loan.id, staff_id=people.collector.id,
                                   kind=OfferKind.LUMP_SUM, amount=payoff,
                                   first_due_date=dt.date(2024, 9, 30), today=later)
    assert (fresh_offer.status, fresh_offer.discount) == (OfferStatus.APPROVED, m(0).amount)
    assert fresh_offer.days_past_due > 0


async def test_an_offer_not_accepted_in_time_expires(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await make_offer(session, loan_id=loan.id, staff_id=people.collector.id,
                            kind=OfferKind.LUMP_SUM, amount=m("9500.00"),
                            first_due_date=dt.date(2024, 4, 5), today=OFFER_DAY)
    assert made.expires_on == dt.date(2024, 4, 3)
    assert await evaluate_open_offers(session, as_of=dt.date(2024, 4, 3), actor=SYSTEM) == {}
    assert made.status is OfferStatus.APPROVED
    moved = await evaluate_open_offers(session, as_of=dt.date(2024, 4, 4), actor=SYSTEM)
    assert moved == {OfferStatus.EXPIRED: 1}
    assert (made.status, made.closed_on, made.close_reason) == (
        OfferStatus.EXPIRED, dt.date(2024, 4, 4), "Not accepted by 2024-04-03.")
    assert await evaluate_open_offers(session, as_of=dt.date(2024, 4, 5), actor=SYSTEM) == {}


async def test_an_evaluation_before_the_acceptance_is_refused(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    offer = await plan(session, people, loan)
    rows = await counts(session)
    with pytest.raises(ValidationError, match="was accepted on 2024-03-22; evaluate it from "
                                              "that date on"):
        await evaluate_offer(session, offer_id=offer.id, as_of=dt.date(2024, 3, 21),
                             actor=SYSTEM)
    assert await counts(session) == rows
