"""Disbursement scenarios: TTD 10,000 at 12% a year over 12 months from 15 January 2024
(instalment 888.49), with a deducted and with a financed origination fee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.trail import history
from core.errors import ConflictError, NotFoundError, ValidationError
from core.ledger.rules import PayoutTo
from core.loans.contract import LoanContract, terms_from_json, terms_to_json
from core.loans.disbursement import disburse
from core.loans.models import InstalmentStatus, LoanStatus, LoanTransaction, TransactionType
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.spec import OverpaymentHandling
from tests.integration.servicing_book import (
    ACTOR,
    assert_books_agree,
    journal,
    m,
    open_book,
    open_loan,
    rows,
    table_counts,
)


async def test_a_deducted_fee_is_withheld_from_the_payout_and_the_borrower_owes_the_principal(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, deducted_fee="200.00")

    assert loan.number == f"LN-{loan.id:06d}"
    assert loan.status is LoanStatus.ACTIVE
    assert (loan.principal, loan.amount_financed, loan.deducted_fee) == (
        Decimal("10000.00"), Decimal("10000.00"), Decimal("200.00"))
    assert loan.principal_outstanding == Decimal("10000.00")
    assert loan.maturity_date == dt.date(2025, 1, 15)
    schedule = await rows(session, loan.id)
    assert [(r.number, r.due_date, r.principal_due, r.interest_due) for r in schedule[:2]] == [
        (1, dt.date(2024, 2, 15), Decimal("788.49"), Decimal("100.00")),
        (2, dt.date(2024, 3, 15), Decimal("796.37"), Decimal("92.12")),
    ]
    assert schedule[-1].principal_due + schedule[-1].interest_due == Decimal("888.47")
    assert sum(r.principal_due for r in schedule) == Decimal("10000.00")
    assert {r.status for r in schedule} == {InstalmentStatus.PENDING}

    # Dr 1210 Loans receivable 10,000.00 / Cr 1110 Bank 9,800.00, Cr 4210 Origination 200.00
    disbursement = await session.get(LoanTransaction, schedule[0].created_by_transaction_id)
    assert disbursement is not None and disbursement.type is TransactionType.DISBURSEMENT
    assert await journal(session, disbursement) == [
        ("1110", "cr", "9800.00"), ("1210", "dr", "10000.00"), ("4210", "cr", "200.00")]
    assert disbursement.balance_change == Decimal("10000.00")
    audit = await history(session, entity_type="loan", entity_id=loan.id)
    assert [event.action for event in audit] == ["loan.disbursed"]
    assert audit[0].after is not None and audit[0].after["payout"] == "9800.00"
    await assert_books_agree(session)


async def test_a_financed_fee_is_added_to_what_the_borrower_owes_and_earns_interest(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, financed_fee="150.00")

    assert (loan.amount_financed, loan.financed_fee) == (Decimal("10150.00"), Decimal("150.00"))
    schedule = await rows(session, loan.id)
    # 10,150.00 at 1% a month: instalment 901.82, first interest 101.50.
    assert (schedule[0].principal_due, schedule[0].interest_due) == (
        Decimal("800.32"), Decimal("101.50"))
    assert sum(r.principal_due for r in schedule) == Decimal("10150.00")
    disbursement = await session.get(LoanTransaction, schedule[0].created_by_transaction_id)
    assert disbursement is not None
    # Dr 1210 10,000.00 and Dr 1210 150.00 / Cr 1110 Bank 10,000.00, Cr 4210 150.00
    assert await journal(session, disbursement) == [
        ("1110", "cr", "10000.00"), ("1210", "dr", "10000.00"), ("1210", "dr", "150.00"),
        ("4210", "cr", "150.00")]
    await assert_books_agree(session)


async def test_the_contract_is_a_snapshot_and_a_repeat_with_the_same_key_returns_the_loan(
    session: AsyncSession,
) -> None:
    book = await open_book(session)
    terms = LoanTerms(principal=m("5000.00"), annual_rate=Decimal("0.18"), term=6,
                      start_date=dt.date(2024, 1, 31))
    contract = LoanContract(terms=terms, overpayment=OverpaymentHandling.PREPAY,
                            late_fee=m("75.00"), late_fee_grace_days=5,
                            early_settlement_fee_percent=Decimal("0.02"),
                            paid_to=PayoutTo.MERCHANT)
    first = await disburse(session, customer_id=book.customer_id, product_id=book.product_id,
                           contract=contract, actor=ACTOR, idempotency_key="hp-1")
    before = await table_counts(session)
    again = await disburse(session, customer_id=book.customer_id, product_id=book.product_id,
                           contract=contract, actor=ACTOR, idempotency_key="hp-1")
    assert again.id == first.id
    assert await table_counts(session) == before
    assert terms_from_json(first.terms) == terms
    assert first.terms == terms_to_json(terms)
    assert (first.late_fee, first.late_fee_grace_days) == (Decimal("75.00"), 5)
    assert [r.due_date for r in await rows(session, first.id)][:2] == [
        dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    await assert_books_agree(session)


async def test_bad_disbursements_are_refused_and_change_nothing(session: AsyncSession) -> None:
    book = await open_book(session)
    terms = LoanTerms(principal=m("1000.00"), annual_rate=Decimal("0.12"), term=3,
                      start_date=dt.date(2024, 1, 15))
    before = await table_counts(session)
    with pytest.raises(NotFoundError, match="no customer"):
        await disburse(session, customer_id=999_999, product_id=book.product_id,
                       contract=LoanContract(terms=terms), actor=ACTOR)
    with pytest.raises(ValidationError, match="nothing of"):
        LoanContract(terms=terms, deducted_fee=m("1000.00"))
    with pytest.raises(ValidationError, match="early-settlement fee"):
        LoanContract(terms=terms, early_settlement_fee_percent=Decimal("2"))
    with pytest.raises(ValidationError, match="cents"):
        await disburse(session, customer_id=book.customer_id, product_id=book.product_id,
                       contract=LoanContract(terms=LoanTerms(
                           principal=Money.of("1000", "JPY"), annual_rate=Decimal("0.12"),
                           term=3, start_date=dt.date(2024, 1, 15))), actor=ACTOR)
    with pytest.raises(ValidationError, match="cannot be serviced"):
        await disburse(session, customer_id=book.customer_id, product_id=book.product_id,
                       contract=LoanContract(terms=LoanTerms(
                           principal=m("1000.00"), annual_rate=Decimal("0.12"), term=3,
                           start_date=dt.date(2024, 1, 15), interest_grace=1)), actor=ACTOR)
    assert await table_counts(session) == before


async def test_a_blocked_customer_gets_no_loan(session: AsyncSession) -> None:
    from core.customers.models import CustomerStatus
    from core.customers.service import set_customer_status

    book = await open_book(session)
    await set_customer_status(session, customer_id=book.customer_id,
                              status=CustomerStatus.BLOCKED, reason="test", actor=ACTOR)
    with pytest.raises(ConflictError, match="blocked"):
        await open_loan(session, book)
