"""What tools take from the model and the turn, checked before any service is called.

Amounts arrive as text ("5000", "5,000.50", "TTD 250") or whole numbers, never floats, and
become `Money` only here; free text is trimmed and bounded; the conversation's channel is
named the way the application and collections records name it.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BeforeValidator

from core.applications.models import ApplicationChannel
from core.customers.models import ContactChannel
from core.errors import ValidationError
from core.money import Money

_APPLICATION_CHANNELS: Final = {
    "whatsapp": ApplicationChannel.WHATSAPP, "sms": ApplicationChannel.SMS,
    "voice": ApplicationChannel.VOICE, "web": ApplicationChannel.WEB_CHAT,
    "web_chat": ApplicationChannel.WEB_CHAT, "terminal": ApplicationChannel.WEB_CHAT,
}
_CONTACT_CHANNELS: Final = {
    "whatsapp": ContactChannel.WHATSAPP, "sms": ContactChannel.SMS,
    "voice": ContactChannel.VOICE,
}


def _amount_text(value: object) -> object:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("send the amount as text, e.g. \"5000.50\"")
    return str(value) if isinstance(value, int) else value


AmountText = Annotated[str, BeforeValidator(_amount_text)]
"""An amount as the model sends it: text, or a whole number turned into text."""


def parse_amount(text: str, currency: str, *, label: str = "amount") -> Money:
    """`text` as a positive amount in `currency`; a clear ValidationError otherwise."""
    cleaned = text.strip().replace("$", "")
    if cleaned.upper().startswith(currency):
        cleaned = cleaned[len(currency):]
    if cleaned.upper().endswith(currency):
        cleaned = cleaned[: -len(currency)]
    try:
        amount = Money.of(cleaned.strip(), currency)
    except ValidationError:
        raise ValidationError(
            f"{text!r} is not an amount in {currency}; use digits with up to two decimals, "
            "e.g. 5000 or 5000.50."
        ) from None
    if not amount.is_positive():
        raise ValidationError(f"The {label} must be more than zero; {text!r} is not.")
    return amount


def clean_text(value: str, *, label: str, limit: int) -> str:
    """`value` with its whitespace collapsed: 1 to `limit` characters."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationError(f"Please say the {label}.")
    if len(cleaned) > limit:
        raise ValidationError(f"Please keep the {label} to {limit} characters.")
    return cleaned


def application_channel(channel: str) -> ApplicationChannel:
    """The application channel of the conversation's channel (web chat for the others)."""
    return _APPLICATION_CHANNELS.get(channel, ApplicationChannel.WEB_CHAT)


def contact_channel(channel: str) -> ContactChannel | None:
    """The collections contact channel of the conversation's channel; None for web chat,
    which the contact log has no channel for."""
    return _CONTACT_CHANNELS.get(channel)

