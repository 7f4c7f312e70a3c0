"""What a tool knows about the turn it runs in, and never takes from the model.

The agent builds one `ToolContext` per turn and hands it to every tool through LangGraph's
`ToolRuntime`. The borrower's identity is `customer_id`, set only once verification has
passed; a tool that needs it calls `require_customer`, so a model-written argument can never
point a tool at someone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import FieldCipher
from core.errors import PermissionDenied
from core.payments.provider import PaymentProvider


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the borrower sent with their message (WhatsApp media, a web chat upload)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class ToolContext:
    """The turn's unit of work, clock, keys and the verified borrower."""

    session: AsyncSession
    conversation_id: int
    channel: str
    now: dt.datetime
    today: dt.date
    cipher: FieldCipher
    otp_key: bytes
    customer_id: int | None = None
    claimed_customer_id: int | None = None
    payments: PaymentProvider | None = None
    payment_return_url: str = "/pay/{reference}"
    attachments: tuple[Attachment, ...] = ()

    @property
    def actor(self) -> str:
        """How the audit trail names what the agent did in this conversation."""
        return f"agent:conversation-{self.conversation_id}"


def require_customer(context: ToolContext) -> int:
    """The verified borrower's id, or a refusal the agent relays as 'please verify first'."""
    if context.customer_id is None:
        raise PermissionDenied("I need to confirm who you are before I can do that.")
    return context.customer_id
