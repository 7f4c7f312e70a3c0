"""Disbursement: a loan comes into existence, with its schedule, payout and journal entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.models import Application, LoanAgreement
from core.applications.offers import offer_terms
from core.applications.service import mark_disbursed
from core.audit import trail
from core.customers.models import Customer, CustomerStatus
from core.errors import ConflictError, NotFoundError, ValidationError
from core.ledger import rules
from core.loans.contract import LoanContract, contract_for_product, terms_to_json
from core.loans.models import Loan, LoanStatus, TransactionType
from core.loans.rescheduling import check_serviceable, schedule_rows
from core.loans.schedule import build_schedule
from core.loans.transactions import check_key, payload_digest, record_transaction, replayed
from core.money import MINOR_UNITS, Money
from core.products.models import LoanProduct

ZERO = Decimal("0.00")


async def _check_parties(session: AsyncSession, customer_id: int, product_id: int) -> None:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"There is no customer {customer_id}.")
    if customer.status is not CustomerStatus.ACTIVE:
        raise ConflictError(f"Customer {customer.number} is {customer.status.value}; "
                            "no loan can be paid out to them.")
    if await session.get(LoanProduct, product_id) is None:
        raise NotFoundError(f"There is no loan product {product_id}.")


async def disburse(
    session: AsyncSession,
    *,
    customer_id: int,
    product_id: int,
    contract: LoanContract,
    actor: str,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> Loan:
    """Pay out a loan under `contract` on `contract.terms.start_date`.

    Builds the schedule from the terms and stores it (version 1), snapshots the contract on
    the loan, posts the disbursement entry (`core.ledger.rules.disbursement`: principal and
    any financed fee to loans receivable, the payout net of any deducted fee to the bank or
    the merchant, both fees to origination income) and audits `loan.disbursed`. A repeat
    with the same `idempotency_key` and contract returns the loan already paid out.
    Raises `NotFoundError` for an unknown customer or product, `ConflictError` for a
    customer who is not active, `ValidationError` for terms servicing cannot handle.
    """
    terms = contract.terms
    if MINOR_UNITS.get(terms.currency) != 2:
        raise ValidationError(f"Loans are serviced to the cent; {terms.currency} has no cents.")
    key = check_key(idempotency_key) if idempotency_key is not None else None
    digest = payload_digest({
        "customer_id": customer_id, "product_id": product_id, "application_id": application_id,
        "terms": terms_to_json(terms), "deducted": contract.deducted.amount,
        "paid_to": contract.paid_to.value,
    })
    if key is not None:
        earlier = await replayed(session, key=key, digest=digest)
        if earlier is not None:
            loan = await session.get(Loan, earlier.loan_id)
            assert loan is not None  # a transaction's loan always exists
            return loan
    await _check_parties(session, customer_id, product_id)
    schedule = build_schedule(terms)
    check_serviceable(schedule)
    start = terms.start_date
    loan = Loan(
        customer_id=customer_id, product_id=product_id, application_id=application_id,
        currency=terms.currency, status=LoanStatus.ACTIVE, terms=terms_to_json(terms),
        principal=terms.principal.amount, amount_financed=terms.financed_amount.amount,
        deducted_fee=contract.deducted.amount, financed_fee=contract.financed.amount,
        annual_rate=terms.annual_rate, term=terms.term, frequency=terms.frequency,
        method=terms.method, disbursed_on=start,
        maturity_date=schedule.instalments[-1].due_date, schedule_version=1,
        overpayment=contract.overpayment,
        late_fee=(contract.late_fee or Money.zero(terms.currency)).amount,
        late_fee_grace_days=contract.late_fee_grace_days,
        early_settlement_fee_percent=contract.early_settlement_fee_percent,
        principal_outstanding=terms.financed_amount.amount, interest_receivable=ZERO,
        accrued_through=start, fees_outstanding=ZERO, penalties_outstanding=ZERO,
        credit_balance=ZERO, days_past_due=0, arrears_amount=ZERO, written_off_amount=ZERO,
        recovered_amount=ZERO,
    )
    session.add(loan)
    await session.flush()
    transaction = await record_transaction(
        session, loan=loan, type=TransactionType.DISBURSEMENT, amount=terms.financed_amount,
        balance_change=terms.financed_amount, effective_date=start,
        key=key or f"disbursement:loan-{loan.id}", digest=digest,
        lines=rules.disbursement(
            loan_id=loan.id, principal=terms.principal, deducted_fee=contract.deducted_fee,
            financed_fee=terms.financed_fees, paid_to=contract.paid_to,
        ),
        description=f"Disbursement of {terms.principal}", actor=actor,
        details={"payout": str(contract.payout.amount), "paid_to": contract.paid_to.value},
    )
    session.add_all(schedule_rows(loan, schedule, version=1, created_by=transaction.id))
    await session.flush()
    await trail.record(
        session, actor=actor, action="loan.disbursed", entity_type="loan", entity_id=loan.id,
        after={
            "number": loan.number, "customer_id": customer_id, "principal": loan.principal,
            "amount_financed": loan.amount_financed, "payout": contract.payout.amount,
            "deducted_fee": loan.deducted_fee, "financed_fee": loan.financed_fee,
            "rate": loan.annual_rate, "term": loan.term, "disbursed_on": start,
            "application_id": application_id,
        },
    )
    return loan


async def disburse_application(
    session: AsyncSession,
    *,
    application_id: int,
    disbursed_on: dt.date,
    actor: str,
    now: dt.datetime,
    first_due_date: dt.date | None = None,
) -> Loan:
    """Pay out the loan of a CONTRACT_SIGNED application and mark the application disbursed.

    The terms are the signed offer's (amount, term, risk band, rate) on the application's
    product, from `disbursed_on`; the first due date is `first_due_date`, else the signed
    agreement's when it was drawn up for this same start date. Retrying for an application
    already paid out returns its loan. Raises `NotFoundError` for an unknown application,
    `InvalidTransition` when it is not signed.
    """
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFoundError(f"There is no application {application_id}.")
    if application.loan_id is not None:
        existing = await session.get(Loan, application.loan_id)
        if existing is not None:
            return existing
    product = await session.get(LoanProduct, application.product_id)
    if (product is None or application.offered_amount is None
            or application.offered_term is None or application.risk_band is None):
        raise ConflictError(
            f"Application {application.reference} has no accepted offer to pay out.")
    if first_due_date is None:
        first_due_date = await _agreed_first_due(session, application_id, disbursed_on)
    terms = offer_terms(
        product, amount=Money.of(application.offered_amount, application.currency),
        term=application.offered_term, band=application.risk_band,
        rate=application.offered_rate, start_date=disbursed_on, first_due_date=first_due_date,
    )
    paid_to = rules.PayoutTo.MERCHANT if application.merchant_id else rules.PayoutTo.BORROWER
    loan = await disburse(
        session, customer_id=application.customer_id, product_id=product.id,
        contract=contract_for_product(product, terms, paid_to=paid_to), actor=actor,
        application_id=application.id, idempotency_key=f"disbursement:application-{application.id}",
    )
    await mark_disbursed(session, application_id=application.id, loan_id=loan.id, actor=actor,
                         now=now)
    return loan


async def _agreed_first_due(
    session: AsyncSession, application_id: int, start: dt.date
) -> dt.date | None:
    agreement = await session.scalar(
        select(LoanAgreement)
        .where(LoanAgreement.application_id == application_id,
               LoanAgreement.accepted_at.is_not(None))
        .order_by(LoanAgreement.version.desc()).limit(1)
    )
    if agreement is None or agreement.terms.get("start_date") != start.isoformat():
        return None
    first_due = agreement.terms.get("first_due_date")
    return dt.date.fromisoformat(first_due) if first_due else None
