"""The payments service on a real database: links, idempotent webhook intake, and applying
payments through the `ApplyPayment` port (faked here, at the port's boundary)."""

from __future__ import annotations

import datetime as dt

import pytest
import respx
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import InvalidSignature, NotFoundError, ValidationError
from core.money import Money
from core.payments.models import (
    EventOutcome,
    IntentStatus,
    PaymentIntent,
    ReceivedEvent,
)
from core.payments.ports import PaymentToApply
from core.payments.provider import EventKind
from core.payments.sandbox_provider import SandboxProvider
from core.payments.service import (
    ReceiveResult,
    create_payment_link,
    events_needing_attention,
    process_event,
    receive_webhook,
)
from core.payments.stripe_provider import StripeProvider
from tests.payments_support import (
    STRIPE_KEY,
    STRIPE_SECRET,
    mock_checkout,
    stripe_event,
    stripe_signature,
)

T0 = dt.datetime(2025, 11, 21, 8, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(minutes=2)
DUE = Money.of("1200.00")


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider(base_url="http://pay.test", app_secret="s" * 40, now=lambda: T0)


class Hook:
    """Stands in for the composition root's job enqueuer; remembers what it was asked."""

    def __init__(self) -> None:
        self.event_ids: list[int] = []

    async def __call__(self, session: AsyncSession, event_id: int) -> None:
        self.event_ids.append(event_id)


class Applier:
    """A fake loan-servicing applier: records each payment, optionally fails first."""

    def __init__(self, *, failures: int = 0) -> None:
        self.payments: list[PaymentToApply] = []
        self.failures = failures

    async def __call__(self, session: AsyncSession, payment: PaymentToApply) -> str:
        # A write of its own, to prove it is rolled back with a failure.
        await trail.record(session, actor="servicing", action="repayment.recorded",
                           entity_type="loan", entity_id=payment.loan_id)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the ledger is unavailable")
        self.payments.append(payment)
        return f"repayment-{len(self.payments)}"


async def counts(session: AsyncSession) -> dict[str, int]:
    tables = {"intents": PaymentIntent, "events": ReceivedEvent, "audit": AuditEvent}
    return {name: await session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in tables.items()}


async def link(session: AsyncSession, provider: SandboxProvider | StripeProvider,
               amount: str = "150.29") -> PaymentIntent:
    return await create_payment_link(
        session, provider, loan_id=7, customer_id=42, amount=Money.of(amount), max_amount=DUE,
        description="Loan 7 repayment", success_url="http://pay.test/pay/{reference}",
        actor="staff:1",
    )


async def paid(session: AsyncSession, provider: SandboxProvider, intent: PaymentIntent,
               amount: str = "150.29") -> ReceiveResult:
    payload, headers = provider.payment_webhook(reference=intent.reference,
                                                amount=Money.of(amount))
    return await receive_webhook(session, provider, payload=payload, headers=headers,
                                 received_at=T0, on_received=Hook())


async def test_a_link_records_the_intent(session: AsyncSession, sandbox: SandboxProvider) -> None:
    intent = await link(session, sandbox)
    assert intent.reference.startswith("pay_") and len(intent.reference) == 28
    assert (intent.loan_id, intent.customer_id, intent.amount, intent.currency) == (
        7, 42, Money.of("150.29").amount, "TTD")
    assert (intent.provider, intent.status) == ("sandbox", IntentStatus.CREATED)
    assert intent.link_url == f"http://pay.test/pay/{intent.reference}"
    assert intent.expires_at == T0 + dt.timedelta(hours=24)
    [audit] = await trail.history(session, entity_type="payment_intent", entity_id=intent.id)
    assert (audit.actor, audit.action) == ("staff:1", "payment_link.created")
    assert audit.after is not None and audit.after["amount"] == "TTD 150.29"


async def test_stripe_link_sends_our_reference_and_the_success_url(session: AsyncSession) -> None:
    provider = StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET,
                              max_network_retries=0)
    with respx.mock(assert_all_called=True) as mock:
        route = mock_checkout(mock)
        intent = await link(session, provider, "1200.00")
    sent = route.calls.last.request.content.decode()
    assert f"client_reference_id={intent.reference}" in sent
    assert f"success_url=http%3A%2F%2Fpay.test%2Fpay%2F{intent.reference}" in sent
    assert "line_items[0][price_data][unit_amount]=120000" in sent
    assert intent.provider == "stripe"
    assert intent.provider_link_id is not None and intent.provider_link_id.startswith("cs_test_")


@pytest.mark.parametrize(
    ("amount", "due", "loan_id", "description", "message"),
    [
        ("0.00", "1200.00", 7, "Repayment", "must be more than zero; TTD 0.00 is not"),
        ("-5.00", "1200.00", 7, "Repayment", "must be more than zero"),
        ("1200.01", "1200.00", 7, "Repayment", "TTD 1,200.01 is more than the TTD 1,200.00 due"),
        ("10.00", "USD:1200.00", 7, "Repayment", "in TTD but the amount due is in USD"),
        ("10.00", "1200.00", 0, "Repayment", "0 is not a loan id"),
        ("10.00", "1200.00", 7, "   ", "needs 1 to 200 characters"),
    ],
)
async def test_bad_link_input_is_refused_and_writes_nothing(
    session: AsyncSession, sandbox: SandboxProvider, amount: str, due: str, loan_id: int,
    description: str, message: str,
) -> None:
    before = await counts(session)
    currency, _, figure = due.rpartition(":")
    with pytest.raises(ValidationError, match=message):
        await create_payment_link(
            session, sandbox, loan_id=loan_id, customer_id=None, amount=Money.of(amount),
            max_amount=Money.of(figure, currency or "TTD"), description=description,
            success_url="http://pay.test/", actor="staff:1",
        )
    assert await counts(session) == before


async def test_a_webhook_is_stored_once_and_queued_once(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    payload, headers = sandbox.payment_webhook(reference=intent.reference,
                                               amount=Money.of("150.29"))
    hook = Hook()
    first = await receive_webhook(session, sandbox, payload=payload, headers=headers,
                                  received_at=T0, on_received=hook)
    again = await receive_webhook(session, sandbox, payload=payload, headers=headers,
                                  received_at=LATER, on_received=hook)
    assert (first.duplicate, first.queued) == (False, True)
    assert (again.duplicate, again.queued, again.event_id) == (True, False, first.event_id)
    assert hook.event_ids == [first.event_id]
    stored = await session.get_one(ReceivedEvent, first.event_id)
    assert (stored.provider, stored.event_id) == ("sandbox", f"sbx_evt_{intent.reference}")
    assert (stored.kind, stored.amount, stored.currency) == (
        EventKind.PAYMENT_SUCCEEDED, Money.of("150.29").amount, "TTD")
    assert (stored.received_at, stored.processed_at, stored.outcome) == (T0, None, None)
    assert stored.payload["data"]["reference"] == intent.reference


async def test_a_forged_webhook_writes_nothing(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    payload, _ = sandbox.payment_webhook(reference=intent.reference, amount=Money.of("150.29"))
    forger = SandboxProvider(base_url="http://pay.test", app_secret="f" * 40, now=lambda: T0)
    _, forged = forger.payment_webhook(reference=intent.reference, amount=Money.of("150.29"))
    before, hook = await counts(session), Hook()
    with pytest.raises(InvalidSignature, match="does not match"):
        await receive_webhook(session, sandbox, payload=payload, headers=forged,
                              received_at=T0, on_received=hook)
    assert await counts(session) == before
    assert hook.event_ids == []


async def test_an_event_of_another_type_is_kept_and_ignored(session: AsyncSession) -> None:
    provider = StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET)
    payload = stripe_event("pay_x", event_type="charge.refund.updated", event_id="evt_other1")
    hook = Hook()
    result = await receive_webhook(
        session, provider, payload=payload, headers={"Stripe-Signature": stripe_signature(payload)},
        received_at=T0, on_received=hook,
    )
    stored = await session.get_one(ReceivedEvent, result.event_id)
    assert (result.queued, hook.event_ids) == (False, [])
    assert (stored.kind, stored.outcome, stored.processed_at) == (
        EventKind.OTHER, EventOutcome.IGNORED, T0)


async def test_a_payment_is_applied_once_and_only_then_marked_processed(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    received = await paid(session, sandbox, intent)
    applier = Applier()
    result = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                 now=LATER)
    assert (result.outcome, result.applied_as, result.retry) == (
        EventOutcome.APPLIED, "repayment-1", False)
    assert applier.payments == [PaymentToApply(
        loan_id=7, customer_id=42, amount=Money.of("150.29"),
        idempotency_key=f"sandbox:sbx_evt_{intent.reference}", received_at=T0,
        provider="sandbox", provider_payment_id=f"sbx_pay_{intent.reference}",
        intent_reference=intent.reference,
    )]
    event = await session.get_one(ReceivedEvent, received.event_id)
    assert (event.processed_at, event.outcome, event.applied_as, event.attempts) == (
        LATER, EventOutcome.APPLIED, "repayment-1", 1)
    assert (intent.status, intent.paid_at) == (IntentStatus.PAID, T0)
    again = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                now=LATER)
    assert again.outcome is EventOutcome.APPLIED and len(applier.payments) == 1


async def test_a_failed_application_is_recorded_and_retried(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    received = await paid(session, sandbox, intent)
    applier = Applier(failures=1)
    first = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                now=LATER)
    assert (first.outcome, first.retry) == (EventOutcome.FAILED, True)
    assert first.error == "RuntimeError: the ledger is unavailable"
    event = await session.get_one(ReceivedEvent, received.event_id)
    assert (event.processed_at, event.outcome, event.attempts) == (None, EventOutcome.FAILED, 1)
    assert event.error == "RuntimeError: the ledger is unavailable"
    assert intent.status is IntentStatus.CREATED
    assert await trail.history(session, entity_type="loan", entity_id=7) == []

    second = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                 now=LATER)
    assert (second.outcome, second.applied_as, second.retry) == (
        EventOutcome.APPLIED, "repayment-1", False)
    await session.refresh(event)
    assert (event.processed_at, event.attempts, event.outcome) == (LATER, 2, EventOutcome.APPLIED)
    assert not event.error
    assert len(await trail.history(session, entity_type="loan", entity_id=7)) == 1


async def test_a_wrong_amount_is_flagged_not_applied(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    received = await paid(session, sandbox, intent, amount="100.00")
    applier = Applier()
    result = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                 now=LATER)
    message = (f"Received TTD 100.00 for payment link {intent.reference}, which asked for "
               "TTD 150.29; not applied.")
    assert (result.outcome, result.error, result.retry) == (EventOutcome.FLAGGED, message, False)
    event = await session.get_one(ReceivedEvent, received.event_id)
    assert (event.outcome, event.processed_at, event.intent_id) == (
        EventOutcome.FLAGGED, None, intent.id)
    assert intent.status is IntentStatus.CREATED and applier.payments == []
    [flag] = await trail.history(session, entity_type="provider_event", entity_id=event.id)
    assert flag.action == "payment_event.flagged"
    assert await events_needing_attention(session) == [event]
    rerun = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                now=LATER)
    assert rerun.outcome is EventOutcome.FLAGGED and applier.payments == []


async def test_a_second_payment_and_an_unknown_reference_are_flagged(
    session: AsyncSession, sandbox: SandboxProvider
) -> None:
    intent = await link(session, sandbox)
    applier = Applier()
    first = await paid(session, sandbox, intent)
    await process_event(session, event_id=first.event_id, apply_payment=applier, now=LATER)
    provider = StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET)
    for reference, message in [
        (intent.reference, f"Payment link {intent.reference} was already paid; this second "
                           "payment of TTD 150.29 was not applied."),
        ("pay_nobody", "No payment link has reference pay_nobody; match this payment to a "
                       "loan by hand."),
    ]:
        payload = stripe_event(reference, event_id=f"evt_{reference}")
        received = await receive_webhook(
            session, provider, payload=payload, received_at=T0, on_received=Hook(),
            headers={"Stripe-Signature": stripe_signature(payload)},
        )
        result = await process_event(session, event_id=received.event_id,
                                     apply_payment=applier, now=LATER)
        assert (result.outcome, result.error) == (EventOutcome.FLAGGED, message)
    assert len(applier.payments) == 1


async def test_an_expired_checkout_expires_the_intent(session: AsyncSession) -> None:
    provider = StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET,
                              max_network_retries=0)
    with respx.mock() as mock:
        mock_checkout(mock)
        intent = await link(session, provider)
    payload = stripe_event(intent.reference, event_type="checkout.session.expired",
                           payment_status="unpaid", event_id="evt_expired1")
    received = await receive_webhook(
        session, provider, payload=payload, received_at=T0, on_received=Hook(),
        headers={"Stripe-Signature": stripe_signature(payload)},
    )
    applier = Applier()
    result = await process_event(session, event_id=received.event_id, apply_payment=applier,
                                 now=LATER)
    assert result.outcome is EventOutcome.RECORDED and applier.payments == []
    assert intent.status is IntentStatus.EXPIRED
    with pytest.raises(NotFoundError, match="No payment event 0"):
        await process_event(session, event_id=0, apply_payment=applier, now=LATER)


async def test_the_schema_refuses_a_second_copy_of_an_event(session: AsyncSession) -> None:
    insert = text(
        "INSERT INTO provider_events (provider, event_id, type, kind, occurred_at, payload, "
        "received_at, attempts) VALUES ('stripe', 'evt_same', 't', 'other', now(), '{}', "
        "now(), 0)"
    )
    await session.execute(insert)
    with pytest.raises(IntegrityError, match="uq_provider_events_provider_event_id"):
        async with session.begin_nested():
            await session.execute(insert)
