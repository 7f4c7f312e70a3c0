"""Money in: payment links, webhook intake, and applying confirmed payments to loans.

The flow, identical for every provider:
1. `create_payment_link` records a payment intent for one loan and returns the hosted link.
2. `receive_webhook` verifies a delivery, stores the event once per (provider, event id) and
   asks `on_received` to schedule processing in the same transaction.
3. `process_event` (in a background job) checks the event against its intent and hands the
   payment to the `ApplyPayment` port; the event is marked processed only if that succeeds.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import DomainError, NotFoundError, ValidationError
from core.money import Money
from core.payments.models import EventOutcome, IntentStatus, PaymentIntent, ReceivedEvent
from core.payments.ports import ApplyPayment, EventReceived, PaymentToApply
from core.payments.provider import EventKind, PaymentProvider

ACTOR = "system:payments"


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    """`event_id` is our stored event's id; `queued` says processing was scheduled."""

    event_id: int
    provider_event_id: str
    duplicate: bool
    queued: bool


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How `process_event` ended; `retry` is True when applying failed and should be retried."""

    event_id: int
    outcome: EventOutcome
    applied_as: str | None = None
    error: str | None = None
    retry: bool = False


async def create_payment_link(
    session: AsyncSession,
    provider: PaymentProvider,
    *,
    loan_id: int,
    customer_id: int | None,
    amount: Money,
    max_amount: Money,
    description: str,
    success_url: str,
    actor: str,
    customer_email: str | None = None,
) -> PaymentIntent:
    """Ask `provider` for a link to pay `amount` towards `loan_id` and record the intent.

    `amount` must be positive and at most `max_amount` (the caller's figure for what is due,
    e.g. the payoff amount), in the same currency. `success_url` is where the provider sends
    the borrower afterwards; a literal `{reference}` in it is replaced by the intent's
    reference. Raises `ValidationError` for bad input and `PaymentProviderError` when the
    provider fails; in both cases nothing is written.
    """
    if loan_id <= 0:
        raise ValidationError(f"{loan_id} is not a loan id.")
    if not amount.is_positive():
        raise ValidationError(f"A payment must be more than zero; {amount} is not.")
    if amount.currency != max_amount.currency:
        raise ValidationError(
            f"The payment is in {amount.currency} but the amount due is in {max_amount.currency}."
        )
    if amount > max_amount:
        raise ValidationError(f"{amount} is more than the {max_amount} due on this loan.")
    description = description.strip()
    if not description or len(description) > 200:
        raise ValidationError("A payment description needs 1 to 200 characters.")
    reference = "pay_" + secrets.token_urlsafe(18)
    metadata = {"loan_id": str(loan_id)}
    if customer_id is not None:
        metadata["customer_id"] = str(customer_id)
    link = await provider.create_payment_link(
        reference=reference,
        amount=amount,
        description=description,
        customer_email=customer_email,
        success_url=success_url.replace("{reference}", reference),
        metadata=metadata,
    )
    intent = PaymentIntent(
        reference=reference, loan_id=loan_id, customer_id=customer_id, amount=amount.amount,
        currency=amount.currency, description=description, provider=provider.name,
        provider_link_id=link.id, link_url=link.url, expires_at=link.expires_at,
        status=IntentStatus.CREATED, created_by=actor,
    )
    session.add(intent)
    await session.flush()
    await trail.record(
        session, actor=actor, action="payment_link.created", entity_type="payment_intent",
        entity_id=intent.id,
        after={"reference": reference, "loan_id": loan_id, "amount": str(amount),
               "provider": provider.name, "url": link.url},
    )
    return intent


async def get_intent(session: AsyncSession, *, reference: str) -> PaymentIntent:
    """The payment intent with this reference; `NotFoundError` if there is none."""
    intent = await session.scalar(select(PaymentIntent).where(PaymentIntent.reference == reference))
    if intent is None:
        raise NotFoundError("No payment link has that reference.")
    return intent


async def receive_webhook(
    session: AsyncSession,
    provider: PaymentProvider,
    *,
    payload: bytes,
    headers: Mapping[str, str],
    received_at: dt.datetime,
    on_received: EventReceived,
) -> ReceiveResult:
    """Verify and store one webhook delivery, idempotently by the provider's event id.

    Raises `InvalidSignature` (nothing written) for a forged, stale or malformed delivery.
    A redelivery of a stored event returns `duplicate=True` and changes nothing. A new
    payment-related event is stored unprocessed and `on_received(session, event_id)` is
    called in this transaction; any other event type is stored as processed and ignored.
    """
    event = provider.parse_webhook(payload, headers)
    ignored = event.kind is EventKind.OTHER
    stored_id = await session.scalar(
        insert(ReceivedEvent)
        .values(
            provider=provider.name, event_id=event.event_id, type=event.type, kind=event.kind,
            reference=event.reference,
            amount=event.amount.amount if event.amount else None,
            currency=event.amount.currency if event.amount else None,
            provider_payment_id=event.provider_payment_id, occurred_at=event.occurred_at,
            payload=dict(event.payload), received_at=received_at, attempts=0,
            processed_at=received_at if ignored else None,
            outcome=EventOutcome.IGNORED if ignored else None,
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ReceivedEvent.id)
    )
    if stored_id is None:
        existing = await session.execute(
            select(ReceivedEvent.id).where(
                ReceivedEvent.provider == provider.name, ReceivedEvent.event_id == event.event_id
            )
        )
        return ReceiveResult(existing.scalar_one(), event.event_id, duplicate=True, queued=False)
    if not ignored:
        await on_received(session, stored_id)
    return ReceiveResult(stored_id, event.event_id, duplicate=False, queued=not ignored)


async def process_event(
    session: AsyncSession, *, event_id: int, apply_payment: ApplyPayment, now: dt.datetime
) -> ProcessResult:
    """Act on one stored event; safe to run again for the same event.

    A payment is handed to `apply_payment` only when its intent exists, is not already paid
    and asked for exactly the amount received; otherwise the event is FLAGGED with the reason
    for staff and nothing is applied. The event gets `processed_at` only when applying
    succeeds (APPLIED) or the event needs no applying (RECORDED expiry or failure, IGNORED).
    If `apply_payment` raises, its writes are rolled back, the error and attempt are kept on
    the event (outcome FAILED) and the result says `retry=True`: the caller commits, then
    retries later. An event already processed or flagged is returned as it stands. Raises
    `NotFoundError` for an unknown event id.
    """
    event = await session.scalar(
        select(ReceivedEvent).where(ReceivedEvent.id == event_id).with_for_update()
    )
    if event is None:
        raise NotFoundError(f"No payment event {event_id}.")
    if event.outcome is not None and event.outcome is not EventOutcome.FAILED:
        return ProcessResult(event.id, event.outcome, event.applied_as, event.error)
    event.attempts += 1
    if event.reference is None:
        return await _flag(session, event, "The payment carries no payment link reference; "
                           "match it to a loan by hand.")
    intent = await session.scalar(
        select(PaymentIntent).where(PaymentIntent.reference == event.reference).with_for_update()
    )
    if intent is None:
        return await _flag(session, event, f"No payment link has reference {event.reference}; "
                           "match this payment to a loan by hand.")
    event.intent_id = intent.id
    if event.kind in (EventKind.LINK_EXPIRED, EventKind.PAYMENT_FAILED):
        return await _record_status(session, event, intent, now)
    expected = Money(intent.amount, intent.currency)
    if event.amount is None or event.currency is None:
        return await _flag(session, event, f"The provider did not say how much was paid for "
                           f"payment link {intent.reference}; not applied.")
    received = Money(event.amount, event.currency)
    if intent.status is IntentStatus.PAID:
        return await _flag(session, event, f"Payment link {intent.reference} was already paid; "
                           f"this second payment of {received} was not applied.")
    if received != expected:
        return await _flag(session, event, f"Received {received} for payment link "
                           f"{intent.reference}, which asked for {expected}; not applied.")
    payment = PaymentToApply(
        loan_id=intent.loan_id, customer_id=intent.customer_id, amount=expected,
        idempotency_key=f"{event.provider}:{event.event_id}", received_at=event.occurred_at,
        provider=event.provider, provider_payment_id=event.provider_payment_id,
        intent_reference=intent.reference,
    )
    previous = intent.status
    try:
        async with session.begin_nested():
            applied_as = await apply_payment(session, payment)
    except Exception as error:  # any failure: keep it on the event and let the job retry
        await session.refresh(event)
        event.outcome = EventOutcome.FAILED
        event.error = _describe(error)
        await session.flush()
        return ProcessResult(event.id, EventOutcome.FAILED, error=event.error, retry=True)
    intent.status = IntentStatus.PAID
    intent.paid_at = event.occurred_at
    intent.provider_payment_id = event.provider_payment_id
    event.processed_at, event.outcome = now, EventOutcome.APPLIED
    event.applied_as, event.error = applied_as, None
    await session.flush()
    await trail.record(
        session, actor=ACTOR, action="payment.applied", entity_type="payment_intent",
        entity_id=intent.id, before={"status": previous.value},
        after={"status": intent.status.value, "amount": str(expected), "applied_as": applied_as,
               "idempotency_key": payment.idempotency_key},
    )
    return ProcessResult(event.id, EventOutcome.APPLIED, applied_as=applied_as)


async def events_needing_attention(
    session: AsyncSession, *, limit: int = 100
) -> list[ReceivedEvent]:
    """Events a person must look at, oldest first: FLAGGED ones (wrong amount, unknown or
    already-paid link) and FAILED ones (applying raised; the job is still retrying)."""
    rows = await session.scalars(
        select(ReceivedEvent)
        .where(ReceivedEvent.outcome.in_([EventOutcome.FLAGGED, EventOutcome.FAILED]))
        .order_by(ReceivedEvent.id)
        .limit(limit)
    )
    return list(rows)


async def _record_status(
    session: AsyncSession, event: ReceivedEvent, intent: PaymentIntent, now: dt.datetime
) -> ProcessResult:
    new = IntentStatus.EXPIRED if event.kind is EventKind.LINK_EXPIRED else IntentStatus.FAILED
    if intent.status is IntentStatus.CREATED:
        intent.status = new
        await trail.record(
            session, actor=ACTOR, action=f"payment_link.{new.value}",
            entity_type="payment_intent", entity_id=intent.id,
            before={"status": IntentStatus.CREATED.value}, after={"status": new.value},
        )
    event.processed_at, event.outcome = now, EventOutcome.RECORDED
    await session.flush()
    return ProcessResult(event.id, EventOutcome.RECORDED)


async def _flag(session: AsyncSession, event: ReceivedEvent, reason: str) -> ProcessResult:
    event.outcome, event.error = EventOutcome.FLAGGED, reason
    await session.flush()
    await trail.record(
        session, actor=ACTOR, action="payment_event.flagged", entity_type="provider_event",
        entity_id=event.id, after={"reason": reason, "provider": event.provider,
                                   "event_id": event.event_id},
    )
    return ProcessResult(event.id, EventOutcome.FLAGGED, error=reason)


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message
    return f"{type(error).__name__}: {error}"
