"""Recorded Stripe wire data and webhook signing done by hand, exactly as Stripe signs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import respx

STRIPE_KEY = "sk_test_51Lendline0000000000000000"
STRIPE_SECRET = "whsec_lendline_test_0123456789abcdef"
SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"
RECORDINGS = Path(__file__).parent / "recordings" / "stripe"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return data


def stripe_signature(payload: bytes, secret: str = STRIPE_SECRET, *, at: int | None = None) -> str:
    """The `Stripe-Signature` value: HMAC-SHA256 over "{t}.{payload}" with the endpoint secret."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def stripe_event(
    reference: str,
    *,
    event_type: str = "checkout.session.completed",
    event_id: str = "evt_1SVx3kJ2eZvKYlo2C4hQm8Rt",
    cents: int = 15029,
    payment_status: str = "paid",
) -> bytes:
    """The recorded `checkout.session.completed` event, re-addressed to `reference`."""
    event = recorded("checkout_session_completed")
    event["id"], event["type"] = event_id, event_type
    session = event["data"]["object"]
    session["client_reference_id"] = reference
    session["metadata"]["lendline_reference"] = reference
    session["amount_total"] = session["amount_subtotal"] = cents
    session["payment_status"] = payment_status
    return json.dumps(event, indent=2).encode()


def mock_checkout(mock: respx.MockRouter) -> respx.Route:
    """Answer POST /v1/checkout/sessions with the recorded session."""
    return mock.post(SESSIONS_URL).mock(
        return_value=httpx.Response(
            200, json=recorded("checkout_session_created"), headers={"request-id": "req_Tt01"}
        )
    )
