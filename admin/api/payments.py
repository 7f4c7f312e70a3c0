"""Payments API: staff create payment links; providers post webhooks (public, signed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.errors import NotFoundError
from core.money import DEFAULT_CURRENCY, Money
from core.payments.models import PaymentIntent, ReceivedEvent
from core.payments.ports import EventReceived
from core.payments.provider import PaymentProvider
from core.payments.service import (
    create_payment_link,
    events_needing_attention,
    get_intent,
    receive_webhook,
)

router = APIRouter(prefix="/payments", tags=["payments"])


@dataclass(frozen=True)
class PaymentsWiring:
    """Set on `app.state.payments` by the composition root.

    `return_url` is where the provider sends the borrower after paying, with `{reference}`.
    """

    provider: PaymentProvider
    on_received: EventReceived
    return_url: str


def payments_wiring(request: Request) -> PaymentsWiring:
    wiring: PaymentsWiring = request.app.state.payments
    return wiring


WiringDep = Annotated[PaymentsWiring, Depends(payments_wiring)]


class LinkRequest(BaseModel):
    loan_id: int = Field(gt=0)
    amount: str = Field(description="Amount to pay, e.g. \"150.00\".", examples=["150.00"])
    amount_due: str = Field(
        description="The most this link may ask for (the payoff or arrears amount); the "
        "payment is refused above it."
    )
    currency: str = DEFAULT_CURRENCY
    customer_id: int | None = None
    customer_email: str | None = None
    description: str = "Loan repayment"


class LinkView(BaseModel):
    reference: str
    loan_id: int
    customer_id: int | None
    amount: str
    currency: str
    provider: str
    url: str | None
    status: str
    expires_at: dt.datetime | None
    paid_at: dt.datetime | None

    @classmethod
    def of(cls, intent: PaymentIntent) -> LinkView:
        return cls(
            reference=intent.reference, loan_id=intent.loan_id, customer_id=intent.customer_id,
            amount=str(intent.amount), currency=intent.currency, provider=intent.provider,
            url=intent.link_url, status=intent.status.value, expires_at=intent.expires_at,
            paid_at=intent.paid_at,
        )


class EventView(BaseModel):
    id: int
    provider: str
    event_id: str
    type: str
    reference: str | None
    amount: str | None
    currency: str | None
    received_at: dt.datetime
    outcome: str | None
    error: str | None
    attempts: int

    @classmethod
    def of(cls, event: ReceivedEvent) -> EventView:
        return cls(
            id=event.id, provider=event.provider, event_id=event.event_id, type=event.type,
            reference=event.reference,
            amount=str(event.amount) if event.amount is not None else None,
            currency=event.currency, received_at=event.received_at,
            outcome=event.outcome.value if event.outcome else None, error=event.error,
            attempts=event.attempts,
        )


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool
    queued: bool


@router.post("/links", status_code=201)
async def create_link(
    body: LinkRequest, session: SessionDep, staff: CurrentStaff, wiring: WiringDep
) -> LinkView:
    """Create a hosted payment link for part or all of what a borrower owes on a loan."""
    intent = await create_payment_link(
        session, wiring.provider, loan_id=body.loan_id, customer_id=body.customer_id,
        amount=Money.of(body.amount, body.currency),
        max_amount=Money.of(body.amount_due, body.currency),
        description=body.description, success_url=wiring.return_url,
        customer_email=body.customer_email, actor=f"staff:{staff.id}",
    )
    return LinkView.of(intent)


@router.get("/links/{reference}")
async def read_link(reference: str, session: SessionDep, staff: CurrentStaff) -> LinkView:
    """A payment link and its status (created, paid, expired, failed)."""
    return LinkView.of(await get_intent(session, reference=reference))


@router.get("/events/attention")
async def events_for_staff(session: SessionDep, staff: CurrentStaff) -> list[EventView]:
    """Payments a person must resolve: flagged (wrong amount, unknown or already-paid link)
    or failing to apply (still being retried)."""
    return [EventView.of(event) for event in await events_needing_attention(session)]


async def accept_webhook(
    session: AsyncSession, wiring: PaymentsWiring, provider_name: str, payload: bytes,
    headers: dict[str, str],
) -> WebhookAck:
    """The one webhook path for every provider (and the sandbox pay page)."""
    if wiring.provider.name != provider_name:
        raise NotFoundError(f"Payments through {provider_name} are not configured here.")
    result = await receive_webhook(
        session, wiring.provider, payload=payload, headers=headers,
        received_at=dt.datetime.now(dt.UTC), on_received=wiring.on_received,
    )
    return WebhookAck(duplicate=result.duplicate, queued=result.queued)


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request, session: SessionDep, wiring: WiringDep) -> WebhookAck:
    """Stripe's webhook endpoint, verified with the `Stripe-Signature` header."""
    return await accept_webhook(session, wiring, "stripe", await request.body(),
                                dict(request.headers))


@router.post("/webhooks/sandbox")
async def sandbox_webhook(request: Request, session: SessionDep, wiring: WiringDep) -> WebhookAck:
    """The sandbox provider's webhook endpoint, verified with the `Sandbox-Signature` header."""
    return await accept_webhook(session, wiring, "sandbox", await request.body(),
                                dict(request.headers))
