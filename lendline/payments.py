"""Wiring of payments: which provider runs, and how a received event reaches the job queue.

Stripe when both `STRIPE_API_KEY` and `STRIPE_WEBHOOK_SECRET` are set, otherwise the sandbox
provider. Either way the borrower's pay page (`/pay/{reference}`) is mounted: the sandbox's
links point at it, and Stripe returns the borrower to it after checkout.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from admin import pay_page
from admin.api.payments import PaymentsWiring
from core.payments.provider import PaymentProvider
from core.payments.sandbox_provider import SandboxProvider
from core.payments.stripe_provider import StripeProvider
from lendline import jobs
from lendline.settings import Settings

log = logging.getLogger(__name__)


def make_provider(settings: Settings) -> PaymentProvider:
    """The configured payment provider: Stripe with both keys set, else the sandbox."""
    if settings.stripe_api_key and settings.stripe_webhook_secret:
        return StripeProvider(
            api_key=settings.stripe_api_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
        )
    if settings.environment == "production":
        log.warning(
            "Payments use the sandbox provider: anyone with a link can mark it paid without "
            "moving money. Set STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET to take real payments."
        )
    return SandboxProvider(base_url=settings.base_url, app_secret=settings.resolved_secret_key())


async def enqueue_processing(session: AsyncSession, event_id: int) -> None:
    """Schedule `process_payment_event` in the transaction that stored the event."""
    await jobs.enqueue(session, jobs.process_payment_event, event_id=event_id)


def install(app: FastAPI, settings: Settings) -> None:
    """Put the payments wiring on `app.state` and mount the pay page."""
    app.state.payments = PaymentsWiring(
        provider=make_provider(settings),
        on_received=enqueue_processing,
        return_url=f"{settings.base_url.rstrip('/')}/pay/{{reference}}",
    )
    app.include_router(pay_page.router)
