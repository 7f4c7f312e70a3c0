"""Loans API: staff read loans and service them; anyone may use the loan calculator.

Reading and recording money received (repayments, settlements, recoveries, charges) is open
to every staff member; disbursing, restructuring, writing off and reversing need a
supervisor or an admin. Dates default to today in the lender's time zone. A repayment's
idempotency key comes from the `Idempotency-Key` header or the body's `idempotency_key`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, status

from admin.api.loan_views import (
    CalculatorIn,
    CalculatorOut,
    ChargeIn,
    DisburseIn,
    InstalmentOut,
    LoanOut,
    LoanSummary,
    QuoteOut,
    RecoveryIn,
    RepaymentIn,
    RestructureIn,
    ReverseIn,
    SettleIn,
    StatementOut,
    TransactionOut,
    WriteOffIn,
)
from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.errors import PermissionDenied, ValidationError
from core.loans import queries
from core.loans.calculator import calculate, calculate_for_product
from core.loans.charges import charge
from core.loans.disbursement import disburse_application
from core.loans.models import LoanStatus
from core.loans.repayment import record_repayment
from core.loans.restructure import restructure
from core.loans.reversal import reverse_transaction
from core.loans.settlement import settle, settlement_quote
from core.loans.statement import statement
from core.loans.writeoff import record_recovery, write_off
from core.money import Money
from core.staff.models import Role, StaffUser

router = APIRouter(tags=["loans"])

_SUPERVISORS = {Role.SUPERVISOR, Role.ADMIN}


def _actor(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


def _supervisor(staff: StaffUser, what: str) -> str:
    if staff.role not in _SUPERVISORS:
        raise PermissionDenied(f"Only supervisors and admins may {what}.")
    return _actor(staff)


def _now(request: Request) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone))


def _today(request: Request, given: dt.date | None = None) -> dt.date:
    return given or _now(request).date()


def _money(value: str, currency: str, label: str = "amount") -> Money:
    try:
        return Money.of(value, currency)
    except ValidationError:
        raise ValidationError(f"The {label} {value!r} is not an amount in {currency}.") from None


def _key(header: str | None, body: str | None, fallback: str | None = None) -> str:
    key = header or body or fallback
    if key is None:
        raise ValidationError("Send an Idempotency-Key header (or idempotency_key) so a retry "
                              "cannot record the payment twice.")
    return key


async def _currency(session: SessionDep, loan_id: int) -> str:
    return (await queries.get_loan(session, loan_id=loan_id)).currency


@router.get("/loans", response_model=list[LoanSummary])
async def list_loans(
    session: SessionDep, staff: CurrentStaff,
    q: Annotated[str | None, Query(max_length=100, description="Loan or customer number, name")
                 ] = None,
    loan_status: Annotated[LoanStatus | None, Query(alias="status")] = None,
    customer_id: int | None = None, min_days_past_due: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[LoanSummary]:
    loans = await queries.search_loans(
        session, text=q, status=loan_status, customer_id=customer_id,
        min_days_past_due=min_days_past_due, limit=limit, offset=offset)
    return [LoanSummary.of(loan) for loan in loans]


@router.post("/loans", response_model=LoanOut, status_code=status.HTTP_201_CREATED)
async def disburse(body: DisburseIn, request: Request, session: SessionDep,
                   staff: CurrentStaff) -> LoanOut:
    """Disburse the loan of a signed application (a retry returns the same loan)."""
    actor = _supervisor(staff, "disburse loans")
    loan = await disburse_application(
        session, application_id=body.application_id,
        disbursed_on=_today(request, body.disbursed_on), actor=actor, now=_now(request),
        first_due_date=body.first_due_date)
    return LoanOut.full(loan)


@router.get("/loans/{loan_id}", response_model=LoanOut)
async def get_loan(loan_id: int, session: SessionDep, staff: CurrentStaff) -> LoanOut:
    return LoanOut.full(await queries.get_loan(session, loan_id=loan_id))


@router.get("/loans/{loan_id}/schedule", response_model=list[InstalmentOut])
async def get_schedule(loan_id: int, session: SessionDep, staff: CurrentStaff,
                       include_cancelled: bool = False) -> list[InstalmentOut]:
    rows = await queries.loan_schedule(session, loan_id=loan_id,
                                       include_cancelled=include_cancelled)
    return [InstalmentOut.of(row) for row in rows]


@router.get("/loans/{loan_id}/transactions", response_model=list[TransactionOut])
async def get_transactions(loan_id: int, session: SessionDep,
                           staff: CurrentStaff) -> list[TransactionOut]:
    rows = await queries.loan_transactions(session, loan_id=loan_id)
    return [TransactionOut.of(row) for row in rows]


@router.get("/loans/{loan_id}/statement", response_model=StatementOut)
async def get_statement(
    loan_id: int, session: SessionDep, staff: CurrentStaff, request: Request,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date | None, Query(alias="to")] = None,
) -> StatementOut:
    return StatementOut.of(await statement(session, loan_id=loan_id, start=start,
                                           end=_today(request, end)))


@router.post("/loans/{loan_id}/repayments", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_repayment(
    loan_id: int, body: RepaymentIn, request: Request, session: SessionDep,
    staff: CurrentStaff, idempotency_key: Annotated[str | None, Header()] = None,
) -> TransactionOut:
    """Apply a payment. A retry with the same key and body returns the first transaction."""
    transaction = await record_repayment(
        session, loan_id=loan_id, amount=_money(body.amount, await _currency(session, loan_id)),
        paid_on=_today(request, body.paid_on),
        idempotency_key=_key(idempotency_key, body.idempotency_key), actor=_actor(staff),
        received_into=body.received_into, reference=body.reference)
    return TransactionOut.of(transaction)


@router.get("/loans/{loan_id}/settlement-quote", response_model=QuoteOut)
async def get_settlement_quote(loan_id: int, request: Request, session: SessionDep,
                               staff: CurrentStaff, as_of: dt.date | None = None) -> QuoteOut:
    return QuoteOut.of(await settlement_quote(session, loan_id=loan_id,
                                              as_of=_today(request, as_of)))


@router.post("/loans/{loan_id}/settlement", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_settlement(
    loan_id: int, body: SettleIn, request: Request, session: SessionDep, staff: CurrentStaff,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> TransactionOut:
    """Close the loan early by paying its payoff (`amount`, if sent, must equal it)."""
    as_of = _today(request, body.as_of)
    currency = await _currency(session, loan_id)
    transaction = await settle(
        session, loan_id=loan_id, as_of=as_of, actor=_actor(staff),
        idempotency_key=_key(idempotency_key, body.idempotency_key,
                             f"settlement:loan-{loan_id}:{as_of}"),
        amount=_money(body.amount, currency) if body.amount is not None else None,
        received_into=body.received_into)
    return TransactionOut.of(transaction)


@router.post("/loans/{loan_id}/restructure", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_restructure(loan_id: int, body: RestructureIn, request: Request,
                           session: SessionDep, staff: CurrentStaff) -> TransactionOut:
    actor = _supervisor(staff, "restructure loans")
    try:
        rate = Decimal(body.annual_rate) if body.annual_rate is not None else None
    except InvalidOperation:
        raise ValidationError(f"{body.annual_rate!r} is not a rate; send 0.12 for 12%.") from None
    transaction = await restructure(
        session, loan_id=loan_id, as_of=_today(request, body.as_of), term=body.term,
        reason=body.reason, actor=actor, annual_rate=rate, frequency=body.frequency,
        method=body.method, first_due_date=body.first_due_date,
        capitalise_arrears=body.capitalise_arrears)
    return TransactionOut.of(transaction)


@router.post("/loans/{loan_id}/write-off", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_write_off(loan_id: int, body: WriteOffIn, request: Request,
                         session: SessionDep, staff: CurrentStaff) -> TransactionOut:
    actor = _supervisor(staff, "write loans off")
    transaction = await write_off(session, loan_id=loan_id, as_of=_today(request, body.as_of),
                                  reason=body.reason, actor=actor)
    return TransactionOut.of(transaction)


@router.post("/loans/{loan_id}/recoveries", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_recovery(
    loan_id: int, body: RecoveryIn, request: Request, session: SessionDep,
    staff: CurrentStaff, idempotency_key: Annotated[str | None, Header()] = None,
) -> TransactionOut:
    transaction = await record_recovery(
        session, loan_id=loan_id, amount=_money(body.amount, await _currency(session, loan_id)),
        received_on=_today(request, body.received_on),
        idempotency_key=_key(idempotency_key, body.idempotency_key), actor=_actor(staff),
        received_into=body.received_into)
    return TransactionOut.of(transaction)


@router.post("/loans/{loan_id}/charges", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_charge(
    loan_id: int, body: ChargeIn, request: Request, session: SessionDep,
    staff: CurrentStaff, idempotency_key: Annotated[str | None, Header()] = None,
) -> TransactionOut:
    transaction = await charge(
        session, loan_id=loan_id, amount=_money(body.amount, await _currency(session, loan_id)),
        kind=body.kind, on=_today(request, body.on), reason=body.reason, actor=_actor(staff),
        idempotency_key=_key(idempotency_key, body.idempotency_key))
    return TransactionOut.of(transaction)


@router.post("/loan-transactions/{transaction_id}/reverse", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
async def post_reversal(transaction_id: int, body: ReverseIn, request: Request,
                        session: SessionDep, staff: CurrentStaff) -> TransactionOut:
    """Reverse a loan transaction; a second reversal of it is refused (409)."""
    actor = _supervisor(staff, "reverse loan transactions")
    reversal = await reverse_transaction(session, transaction_id=transaction_id,
                                         on=_today(request, body.on), reason=body.reason,
                                         actor=actor)
    return TransactionOut.of(reversal)


@router.post("/calculator", response_model=CalculatorOut)
async def calculator(body: CalculatorIn, request: Request, session: SessionDep) -> CalculatorOut:
    """Public, no login: the full schedule, totals and APR for a product or explicit terms."""
    amount = _money(body.amount, body.currency)
    start = _today(request, body.start_date)
    if body.product_code:
        result = await calculate_for_product(
            session, product_code=body.product_code, amount=amount, term=body.term,
            start_date=start, band=body.band, first_due_date=body.first_due_date)
    elif body.annual_rate is not None:
        try:
            rate = Decimal(body.annual_rate)
        except InvalidOperation:
            raise ValidationError(f"{body.annual_rate!r} is not a rate; send 0.12 for 12%.") \
                from None
        result = calculate(amount=amount, term=body.term, annual_rate=rate, start_date=start,
                           frequency=body.frequency, method=body.method,
                           first_due_date=body.first_due_date)
    else:
        raise ValidationError("Send a product_code, or an annual_rate with the method and "
                              "frequency.")
    return CalculatorOut.of(result)
