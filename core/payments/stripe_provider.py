"""Stripe Checkout as a payment provider.

Links are Checkout Sessions in payment mode for one line item of exactly the amount, in the
currency's minor units (never a float). Our intent reference travels as `client_reference_id`
and in the metadata of both the session and its PaymentIntent. Webhooks are verified with the
endpoint secret through `stripe.Webhook.construct_event` (HMAC-SHA256 over "{t}.{body}",
five minutes' tolerance). Only Checkout Session events are read, so a payment is never seen
twice through `payment_intent.*` events as well.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import stripe
from stripe.params.checkout import SessionCreateParams

from core.errors import InvalidSignature, PaymentProviderError, ValidationError
from core.money import Money
from core.payments.provider import (
    EventKind,
    PaymentLink,
    ProviderEvent,
    from_minor_units,
    lower_keys,
    to_minor_units,
)

SIGNATURE_HEADER = "stripe-signature"
REFERENCE_KEY = "lendline_reference"
TOLERANCE_SECONDS = 300

_SESSION_EVENTS = {
    "checkout.session.completed": EventKind.PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_succeeded": EventKind.PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": EventKind.PAYMENT_FAILED,
    "checkout.session.expired": EventKind.LINK_EXPIRED,
}


class StripeProvider:
    """Payments through Stripe Checkout. Build one per process with the account's keys."""

    name = "stripe"

    def __init__(self, *, api_key: str, webhook_secret: str, max_network_retries: int = 2) -> None:
        self._webhook_secret = webhook_secret
        # httpx, so requests are async and tests can intercept them at the HTTP boundary.
        self._client = stripe.StripeClient(
            api_key, http_client=stripe.HTTPXClient(), max_network_retries=max_network_retries
        )

    async def create_payment_link(
        self,
        *,
        reference: str,
        amount: Money,
        description: str,
        customer_email: str | None,
        success_url: str,
        metadata: Mapping[str, str],
    ) -> PaymentLink:
        """A Checkout Session for exactly `amount`; the reference is also the idempotency key."""
        tags = {**metadata, REFERENCE_KEY: reference}
        params: SessionCreateParams = {
            "mode": "payment",
            "success_url": success_url,
            "client_reference_id": reference,
            "metadata": tags,
            "payment_intent_data": {"metadata": tags, "description": description},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": amount.currency.lower(),
                        "unit_amount": to_minor_units(amount),
                        "product_data": {"name": description},
                    },
                }
            ],
        }
        if customer_email:
            params["customer_email"] = customer_email
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=params,
                options={"idempotency_key": f"checkout-{reference}"},
            )
        except stripe.StripeError as error:
            raise PaymentProviderError(
                f"Stripe could not create the payment link: {error.user_message or error}"
            ) from error
        if not session.url:
            raise PaymentProviderError("Stripe created a checkout session without a URL.")
        return PaymentLink(
            id=session.id,
            url=session.url,
            expires_at=dt.datetime.fromtimestamp(session.expires_at, dt.UTC),
        )

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the `Stripe-Signature` header and read a Checkout Session event."""
        signature = lower_keys(headers).get(SIGNATURE_HEADER)
        if not signature:
            raise InvalidSignature("The Stripe-Signature header is missing.")
        try:
            self._client.construct_event(
                payload, signature, self._webhook_secret, TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidSignature(
                f"The Stripe webhook signature is not valid: {error.user_message}."
            ) from None
        except (ValueError, AttributeError):
            raise InvalidSignature("The Stripe webhook body is not a JSON event.") from None
        try:
            return _read_event(json.loads(payload))
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError):
            raise InvalidSignature("The Stripe webhook body is not a Stripe event.") from None


def _read_event(body: dict[str, Any]) -> ProviderEvent:
    event_type = str(body["type"])
    kind = _SESSION_EVENTS.get(event_type, EventKind.OTHER)
    occurred_at = dt.datetime.fromtimestamp(int(body["created"]), dt.UTC)
    if kind is EventKind.OTHER:
        return ProviderEvent(
            event_id=str(body["id"]), type=event_type, kind=kind,
            occurred_at=occurred_at, payload=body,
        )
    session = body["data"]["object"]
    if kind is EventKind.PAYMENT_SUCCEEDED and session.get("payment_status") != "paid":
        # A completed session paid by a delayed method (bank debit) is not money yet; its
        # `async_payment_succeeded` event follows.
        kind = EventKind.OTHER
    reference = (session.get("metadata") or {}).get(REFERENCE_KEY) or session.get(
        "client_reference_id"
    )
    amount = None
    if session.get("amount_total") is not None:
        amount = from_minor_units(int(session["amount_total"]), str(session["currency"]))
    return ProviderEvent(
        event_id=str(body["id"]),
        type=event_type,
        kind=kind,
        occurred_at=occurred_at,
        reference=str(reference) if reference else None,
        amount=amount,
        provider_payment_id=session.get("payment_intent") or session.get("id"),
        payload=body,
    )
