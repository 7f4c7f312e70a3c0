"""The sandbox provider: the embedded default when no Stripe keys are configured.

Its links point at our own pay page (`{base_url}/pay/{reference}`). Paying there produces a
webhook signed like Stripe's (`t=...,v1=...`, HMAC-SHA256 over "{t}.{body}") with a key
derived from the application secret, and that webhook goes through the same verification,
storage and processing as a Stripe one. Nothing here moves real money.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from core.errors import InvalidSignature, ValidationError
from core.money import Money
from core.payments.provider import EventKind, PaymentLink, ProviderEvent, lower_keys

SIGNATURE_HEADER = "sandbox-signature"
SUCCEEDED = "payment.succeeded"
TOLERANCE = dt.timedelta(minutes=5)
LINK_LIFETIME = dt.timedelta(hours=24)


def _derive_key(app_secret: str) -> bytes:
    # A key of its own, so a leaked sandbox signature says nothing about the app secret.
    return hmac.new(app_secret.encode(), b"lendline.payments.sandbox", hashlib.sha256).digest()


def _sign(key: bytes, timestamp: int, payload: bytes) -> str:
    return hmac.new(key, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


class SandboxProvider:
    """Pretend payments, signed and verified for real. `now` is injectable for tests."""

    name = "sandbox"

    def __init__(
        self, *, base_url: str, app_secret: str, now: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._key = _derive_key(app_secret)
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

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
        """A link to our own pay page for `reference`, valid for 24 hours."""
        return PaymentLink(
            id=f"sbx_{reference}",
            url=f"{self._base_url}/pay/{reference}",
            expires_at=self._now() + LINK_LIFETIME,
        )

    def payment_webhook(self, *, reference: str, amount: Money) -> tuple[bytes, dict[str, str]]:
        """The signed webhook the pay page posts when the borrower pays `amount` for `reference`.

        The event id is derived from the reference, so paying twice from the page is a
        duplicate delivery of one event, not a second payment.
        """
        now = self._now()
        body = {
            "id": f"sbx_evt_{reference}",
            "type": SUCCEEDED,
            "created": int(now.timestamp()),
            "data": {
                "reference": reference,
                "amount": str(amount.amount),
                "currency": amount.currency,
                "payment_id": f"sbx_pay_{reference}",
            },
        }
        payload = json.dumps(body, separators=(",", ":")).encode()
        return payload, {"Sandbox-Signature": self.signature(payload, timestamp=now)}

    def signature(self, payload: bytes, *, timestamp: dt.datetime) -> str:
        """The `Sandbox-Signature` header value for `payload` signed at `timestamp`."""
        seconds = int(timestamp.timestamp())
        return f"t={seconds},v1={_sign(self._key, seconds, payload)}"

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the `Sandbox-Signature` header (five minutes' tolerance) and read the event."""
        header = lower_keys(headers).get(SIGNATURE_HEADER)
        if not header:
            raise InvalidSignature("The Sandbox-Signature header is missing.")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            timestamp = int(parts["t"])
            given = parts["v1"]
        except (ValueError, KeyError):
            raise InvalidSignature("The Sandbox-Signature header is malformed.") from None
        if not hmac.compare_digest(_sign(self._key, timestamp, payload), given):
            raise InvalidSignature("The sandbox webhook signature does not match its body.")
        signed_at = dt.datetime.fromtimestamp(timestamp, dt.UTC)
        if abs(self._now() - signed_at) > TOLERANCE:
            raise InvalidSignature("The sandbox webhook was signed too long ago to accept.")
        try:
            return _read_event(json.loads(payload))
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError):
            raise InvalidSignature("The sandbox webhook body is not a payment event.") from None


def _read_event(body: dict[str, Any]) -> ProviderEvent:
    event_type = str(body["type"])
    occurred_at = dt.datetime.fromtimestamp(int(body["created"]), dt.UTC)
    if event_type != SUCCEEDED:
        return ProviderEvent(
            event_id=str(body["id"]), type=event_type, kind=EventKind.OTHER,
            occurred_at=occurred_at, payload=body,
        )
    data = body["data"]
    return ProviderEvent(
        event_id=str(body["id"]),
        type=event_type,
        kind=EventKind.PAYMENT_SUCCEEDED,
        occurred_at=occurred_at,
        reference=str(data["reference"]),
        amount=Money.of(str(data["amount"]), str(data["currency"])),
        provider_payment_id=str(data["payment_id"]),
        payload=body,
    )
