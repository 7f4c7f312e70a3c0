"""Payments over HTTP and through the job queue: the sandbox flow end to end, Stripe webhooks,
and the `process_payment_event` job with and without a registered applier."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from admin.api.payments import PaymentsWiring
from core.payments.models import EventOutcome, IntentStatus, PaymentIntent, ReceivedEvent
from core.payments.ports import ApplyPayment, PaymentToApply
from core.payments.stripe_provider import StripeProvider
from lendline import jobs
from lendline.payments import enqueue_processing
from lendline.services import open_queue
from tests.payments_support import (
    STRIPE_KEY,
    STRIPE_SECRET,
    mock_checkout,
    recorded,
    stripe_event,
    stripe_signature,
)

LINK = {"loan_id": 7, "customer_id": 42, "amount": "150.29", "amount_due": "1200.00"}


@pytest.fixture(scope="session")
async def queue(database_url: str) -> AsyncIterator[None]:
    async with open_queue(database_url):
        yield


@pytest.fixture
def worker_db(connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs open their sessions on the test's connection, inside its rolled-back transaction."""
    factory = async_sessionmaker(bind=connection, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
    monkeypatch.setattr(jobs, "_sessions", factory)
    monkeypatch.setattr(jobs, "_payment_applier", None)


def recording_applier(payments: list[PaymentToApply]) -> ApplyPayment:
    async def apply(session: AsyncSession, payment: PaymentToApply) -> str:
        payments.append(payment)
        return f"repayment-{len(payments)}"
    return apply


async def jobs_for(session: AsyncSession, event_id: int) -> int:
    return await session.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
             "AND (args->>'event_id')::bigint = :id"),
        {"task": jobs.process_payment_event.name, "id": event_id},
    ) or 0


async def stored_events(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(ReceivedEvent)) or 0


async def test_sandbox_payment_end_to_end(
    api: httpx.AsyncClient, session: AsyncSession, queue: None, worker_db: None
) -> None:
    created = await api.post("/api/v1/payments/links", json=LINK)
    assert created.status_code == 201, created.text
    view = created.json()
    reference = view["reference"]
    assert view["url"] == f"http://127.0.0.1:8000/pay/{reference}"
    assert (view["amount"], view["currency"], view["status"]) == ("150.29", "TTD", "created")

    page = await api.get(f"/pay/{reference}")
    assert page.status_code == 200
    assert "Pay TTD 150.29" in page.text and 'method="post"' in page.text

    for _ in range(2):  # a double click is one event, one job
        done = await api.post(f"/pay/{reference}")
        assert done.status_code == 200 and "Payment received" in done.text
    [event] = (await session.scalars(select(ReceivedEvent))).all()
    assert (event.provider, event.reference, event.outcome) == ("sandbox", reference, None)
    assert await jobs_for(session, event.id) == 1

    payments: list[PaymentToApply] = []
    jobs.set_payment_applier(recording_applier(payments))
    assert await jobs.process_payment_event(event_id=event.id) == "applied"
    assert [(p.loan_id, str(p.amount), p.idempotency_key) for p in payments] == [
        (7, "TTD 150.29", f"sandbox:sbx_evt_{reference}")]

    status = (await api.get(f"/api/v1/payments/links/{reference}")).json()
    assert status["status"] == "paid" and status["paid_at"] is not None
    page = await api.get(f"/pay/{reference}")
    assert "Paid, thank you" in page.text and "TTD 150.29" in page.text
    refused = await api.post(f"/pay/{reference}")
    assert refused.status_code == 410 and await stored_events(session) == 1


async def test_webhook_endpoints_refuse_what_they_cannot_trust(
    api: httpx.AsyncClient, session: AsyncSession, queue: None
) -> None:
    created = (await api.post("/api/v1/payments/links", json=LINK)).json()
    forged = await api.post("/api/v1/payments/webhooks/sandbox", content=b'{"id": "x"}',
                            headers={"Sandbox-Signature": f"t={int(time.time())},v1=00ff"})
    assert forged.status_code == 400
    assert forged.json() == {"error": "invalid_signature",
                             "detail": "The sandbox webhook signature does not match its body."}
    unsigned = await api.post("/api/v1/payments/webhooks/sandbox", content=b"{}")
    assert unsigned.json()["detail"] == "The Sandbox-Signature header is missing."
    elsewhere = await api.post("/api/v1/payments/webhooks/stripe", content=b"{}")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["detail"] == "Payments through stripe are not configured here."
    assert await stored_events(session) == 0

    assert (await api.post("/api/v1/payments/links", json=LINK, auth=("x@y.z", "nope"))
            ).status_code == 401
    too_much = await api.post("/api/v1/payments/links", json={**LINK, "amount": "1200.01"})
    assert too_much.status_code == 422
    assert too_much.json()["detail"] == (
        "TTD 1,200.01 is more than the TTD 1,200.00 due on this loan.")
    assert await session.scalar(select(func.count()).select_from(PaymentIntent)) == 1
    assert (await api.get("/pay/pay_unknown")).status_code == 404
    assert (await api.get(f"/api/v1/payments/links/{created['reference']}")).status_code == 200


@pytest.fixture
def stripe_app(api: httpx.AsyncClient) -> httpx.AsyncClient:
    api._transport.app.state.payments = PaymentsWiring(  # type: ignore[attr-defined]
        provider=StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET,
                                max_network_retries=0),
        on_received=enqueue_processing,
        return_url="https://lend.example.tt/pay/{reference}",
    )
    return api


async def test_stripe_link_and_webhooks_over_http(
    stripe_app: httpx.AsyncClient, session: AsyncSession, queue: None
) -> None:
    api = stripe_app
    with respx.mock(assert_all_called=True) as mock:
        route = mock_checkout(mock)
        created = await api.post("/api/v1/payments/links", json=LINK)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    assert created.json()["url"] == recorded("checkout_session_created")["url"]
    assert f"success_url=https%3A%2F%2Flend.example.tt%2Fpay%2F{reference}" in (
        route.calls.last.request.content.decode())

    payload = stripe_event(reference)
    url = "/api/v1/payments/webhooks/stripe"
    signed = {"Stripe-Signature": stripe_signature(payload)}
    first = await api.post(url, content=payload, headers=signed)
    assert first.json() == {"received": True, "duplicate": False, "queued": True}
    again = await api.post(url, content=payload, headers=signed)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    stale = {"Stripe-Signature": stripe_signature(payload, at=int(time.time()) - 600)}
    assert (await api.post(url, content=payload, headers=stale)).status_code == 400
    broken = b'{"id": "evt_broken", '
    response = await api.post(url, content=broken,
                              headers={"Stripe-Signature": stripe_signature(broken)})
    assert response.status_code == 400
    assert response.json()["detail"] == "The Stripe webhook body is not a JSON event."
    [event] = (await session.scalars(select(ReceivedEvent))).all()
    assert await jobs_for(session, event.id) == 1


async def test_a_stripe_outage_creates_no_link(
    stripe_app: httpx.AsyncClient, session: AsyncSession
) -> None:
    with respx.mock() as mock:
        mock.post("https://api.stripe.com/v1/checkout/sessions").mock(
            return_value=httpx.Response(500, json={"error": {"type": "api_error",
                                                             "message": "Try again later."}}))
        response = await stripe_app.post("/api/v1/payments/links", json=LINK)
    assert response.status_code == 502
    assert response.json()["detail"] == (
        "Stripe could not create the payment link: Try again later.")
    assert await session.scalar(select(func.count()).select_from(PaymentIntent)) == 0


async def test_the_job_retries_until_an_applier_succeeds(
    api: httpx.AsyncClient, session: AsyncSession, queue: None, worker_db: None
) -> None:
    reference = (await api.post("/api/v1/payments/links", json=LINK)).json()["reference"]
    await api.post(f"/pay/{reference}")
    event = await session.scalar(select(ReceivedEvent))
    assert event is not None

    with pytest.raises(jobs.PaymentNotApplied, match="No payment applier is registered"):
        await jobs.process_payment_event(event_id=event.id)

    async def broken(session: AsyncSession, payment: PaymentToApply) -> str:
        raise RuntimeError("loan 7 is locked by a statement run")

    jobs.set_payment_applier(broken)
    with pytest.raises(jobs.PaymentNotApplied, match="loan 7 is locked"):
        await jobs.process_payment_event(event_id=event.id)
    await session.refresh(event)
    assert (event.outcome, event.attempts, event.processed_at) == (EventOutcome.FAILED, 1, None)
    assert event.error == "RuntimeError: loan 7 is locked by a statement run"
    [waiting] = (await api.get("/api/v1/payments/events/attention")).json()
    assert (waiting["id"], waiting["outcome"], waiting["attempts"]) == (event.id, "failed", 1)
    assert (waiting["amount"], waiting["reference"]) == ("150.29", reference)

    payments: list[PaymentToApply] = []
    jobs.set_payment_applier(recording_applier(payments))
    assert await jobs.process_payment_event(event_id=event.id) == "applied"
    await session.refresh(event)
    assert (event.outcome, event.attempts, event.error) == (EventOutcome.APPLIED, 2, None)
    assert (await api.get("/api/v1/payments/events/attention")).json() == []
    assert isinstance(event.processed_at, dt.datetime) and len(payments) == 1
    intent = await session.scalar(select(PaymentIntent))
    assert intent is not None
    await session.refresh(intent)
    assert intent.status is IntentStatus.PAID
