"""Settlement offers API (staff): make an offer on a loan in arrears, approve or reject it
(maker–checker), record the borrower's acceptance, and evaluate it against the payments.

Who may do what is the core's rule (`core.collections.settlements`): collectors,
supervisors and admins make offers within their discount limits per bucket; a second person
with a sufficient limit approves one above the maker's. Amounts are strings ("9000.00") in
the loan's currency; dates default to today in the lender's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.collections.settlement_models import (
    OfferKind,
    OfferStatus,
    SettlementInstalment,
    SettlementOffer,
)
from core.collections.settlement_policy import load_settlement_policy
from core.collections.settlement_progress import evaluate_offer
from core.collections.settlement_queries import (
    list_offers,
    load_offer,
    offer_instalments,
    percent,
)
from core.collections.settlements import accept_offer, approve_offer, make_offer, reject_offer
from core.errors import ValidationError
from core.loans.calendar import Frequency
from core.loans.models import Loan
from core.money import DEFAULT_CURRENCY, Money
from core.staff.models import Role

router = APIRouter(prefix="/settlement-offers", tags=["collections"])


def lender_today(request: Request) -> dt.date:
    """Today in the lender's time zone (a dependency, so tests can fix the date)."""
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


Today = Annotated[dt.date, Depends(lender_today)]


class OfferIn(BaseModel):
    loan_id: int
    kind: OfferKind
    amount: str = Field(examples=["9000.00"])
    first_due_date: dt.date
    instalments: int = 1
    frequency: Frequency = Frequency.MONTHLY
    expires_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=500)


class RejectIn(BaseModel):
    reason: str = Field(max_length=500)


class AcceptIn(BaseModel):
    via: str = Field(max_length=200, examples=["phone call"])
    accepted_on: dt.date | None = None


class EvaluateIn(BaseModel):
    as_of: dt.date | None = None


class InstalmentOut(BaseModel):
    number: int
    due_date: dt.date
    amount: str
    paid: str
    covered_on: dt.date | None

    @classmethod
    def of(cls, row: SettlementInstalment) -> InstalmentOut:
        return cls(number=row.number, due_date=row.due_date, amount=str(row.amount),
                   paid=str(row.paid), covered_on=row.covered_on)


class OfferOut(BaseModel):
    id: int
    loan_id: int
    customer_id: int
    kind: OfferKind
    status: OfferStatus
    currency: str
    offered_on: dt.date
    expires_on: dt.date
    days_past_due: int
    bucket: str
    balance: str
    amount: str
    discount: str
    discount_percent: str
    made_by_staff_id: int
    required_role: Role
    approved_by_staff_id: int | None
    accepted_on: dt.date | None
    closed_on: dt.date | None
    close_reason: str | None
    paid: str
    forgiven: str | None
    settlement_transaction_id: int | None
    instalments: list[InstalmentOut]

    @classmethod
    def of(cls, offer: SettlementOffer, rows: list[SettlementInstalment]) -> OfferOut:
        return cls(
            id=offer.id, loan_id=offer.loan_id, customer_id=offer.customer_id, kind=offer.kind,
            status=offer.status, currency=offer.currency, offered_on=offer.offered_on,
            expires_on=offer.expires_on, days_past_due=offer.days_past_due,
            bucket=offer.bucket.value, balance=str(offer.balance), amount=str(offer.amount),
            discount=str(offer.discount), discount_percent=percent(offer.discount_ratio),
            made_by_staff_id=offer.made_by_staff_id, required_role=offer.required_role,
            approved_by_staff_id=offer.approved_by_staff_id, accepted_on=offer.accepted_on,
            closed_on=offer.closed_on, close_reason=offer.close_reason, paid=str(offer.paid),
            forgiven=None if offer.forgiven is None else str(offer.forgiven),
            settlement_transaction_id=offer.settlement_transaction_id,
            instalments=[InstalmentOut.of(row) for row in rows],
        )


async def _out(session: SessionDep, offer: SettlementOffer) -> OfferOut:
    return OfferOut.of(offer, await offer_instalments(session, offer.id))


@router.get("/policy")
async def policy(staff: CurrentStaff) -> dict[str, Any]:
    """The discount limits per bucket and role, the grace days and plan bounds."""
    return load_settlement_policy().model_dump(mode="json")


@router.post("", status_code=status.HTTP_201_CREATED)
async def make(body: OfferIn, session: SessionDep, staff: CurrentStaff,
               today: Today) -> OfferOut:
    """Make an offer as the signed-in staff member (approved at once within their limit)."""
    loan = await session.get(Loan, body.loan_id)
    currency = loan.currency if loan is not None else DEFAULT_CURRENCY
    try:
        amount = Money.of(body.amount, currency)
    except ValidationError:
        raise ValidationError(f"The amount {body.amount!r} is not an amount in {currency}.") \
            from None
    offer = await make_offer(
        session, loan_id=body.loan_id, staff_id=staff.id, kind=body.kind, amount=amount,
        first_due_date=body.first_due_date, today=today, instalments=body.instalments,
        frequency=body.frequency, expires_on=body.expires_on, note=body.note)
    return await _out(session, offer)


@router.get("")
async def offers_of_loan(session: SessionDep, staff: CurrentStaff,
                         loan_id: Annotated[int, Query()]) -> list[OfferOut]:
    return [await _out(session, offer) for offer in await list_offers(session, loan_id=loan_id)]


@router.get("/{offer_id}")
async def get(offer_id: int, session: SessionDep, staff: CurrentStaff) -> OfferOut:
    return await _out(session, await load_offer(session, offer_id))


@router.post("/{offer_id}/approve")
async def approve(offer_id: int, session: SessionDep, staff: CurrentStaff,
                  today: Today) -> OfferOut:
    """Approve as the second person; never the maker, and only within your own limit."""
    offer = await approve_offer(session, offer_id=offer_id, staff_id=staff.id, today=today)
    return await _out(session, offer)


@router.post("/{offer_id}/reject")
async def reject(offer_id: int, body: RejectIn, session: SessionDep, staff: CurrentStaff,
                 today: Today) -> OfferOut:
    offer = await reject_offer(session, offer_id=offer_id, reason=body.reason,
                               actor=f"staff:{staff.id}", today=today)
    return await _out(session, offer)


@router.post("/{offer_id}/accept")
async def accept(offer_id: int, body: AcceptIn, session: SessionDep, staff: CurrentStaff,
                 today: Today) -> OfferOut:
    """Record that the borrower accepted (on `accepted_on`, default today)."""
    offer = await accept_offer(session, offer_id=offer_id, accepted_on=body.accepted_on or today,
                               via=body.via, actor=f"staff:{staff.id}")
    return await _out(session, offer)


@router.post("/{offer_id}/evaluate")
async def evaluate(offer_id: int, body: EvaluateIn, session: SessionDep, staff: CurrentStaff,
                   today: Today) -> OfferOut:
    """Count the payments as of `as_of` (default today): complete, break or expire it."""
    offer = await evaluate_offer(session, offer_id=offer_id, as_of=body.as_of or today,
                                 actor=f"staff:{staff.id}")
    return await _out(session, offer)
