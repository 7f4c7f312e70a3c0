"""The payment-provider port: what the payments service needs from Stripe, the sandbox, or any
other provider, and the plain values that cross it.

A provider creates hosted payment links and turns a signed webhook delivery into one
`ProviderEvent`. It never touches the database: storing, de-duplicating and applying events is
the service's job, identical for every provider.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from core.errors import ValidationError
from core.money import MINOR_UNITS, Money


class EventKind(enum.StrEnum):
    """What an event means for a payment intent; everything else is `OTHER` and ignored."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    LINK_EXPIRED = "link_expired"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PaymentLink:
    """A hosted page where the borrower pays: the provider's id for it, its URL, its expiry."""

    id: str
    url: str
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """One verified webhook event.

    `event_id` is the provider's id for the event (unique per provider, stable across
    redeliveries). `reference` is our payment intent reference carried through the provider's
    metadata; `amount` is what the provider says was paid. Both are None for event kinds that
    carry no payment. `payload` is the parsed body, kept for the record.
    """

    event_id: str
    type: str
    kind: EventKind
    occurred_at: dt.datetime
    reference: str | None = None
    amount: Money | None = None
    provider_payment_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    """A payment provider adapter. `name` is the short key stored with intents and events."""

    @property
    def name(self) -> str: ...

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
        """Create a hosted payment page for exactly `amount`, tagged with `reference`.

        Raises `PaymentProviderError` when the provider refuses or cannot be reached.
        """
        ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a webhook delivery and parse it.

        `headers` may use any letter case. Raises `InvalidSignature` when the signature is
        missing, forged or stale, or when the signed body is not an event we can read.
        """
        ...


def to_minor_units(amount: Money) -> int:
    """The amount as an integer count of the currency's minor unit (TTD 150.25 -> 15025).

    Exact: `Money` is always quantised to the minor unit, so the scaled value is integral.
    """
    return int(amount.amount.scaleb(MINOR_UNITS[amount.currency]))


def from_minor_units(units: int, currency: str) -> Money:
    """The inverse of `to_minor_units`: 15025 TTD -> TTD 150.25."""
    code = currency.upper()
    if code not in MINOR_UNITS:
        raise ValidationError(f"Unknown currency {currency!r}.")
    return Money(Decimal(units).scaleb(-MINOR_UNITS[code]), code)


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names folded to lower case, since HTTP header names are case-insensitive."""
    return {key.lower(): value for key, value in headers.items()}
