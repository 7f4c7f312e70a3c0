"""The verified borrower's own record: their email and phone number, and marketing consent."""

from __future__ import annotations

from typing import Any, Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.customers.consents import withdraw_consent
from core.customers.contacts import add_contact_point
from core.customers.models import ConsentType, ContactChannel
from core.customers.service import update_profile
from core.customers.validation import display_phone, normalise_email, normalise_phone
from core.errors import ValidationError
from tools.context import ToolContext, require_customer
from tools.results import Result, relay_domain_errors

PHONE_CHANNELS: Final = (ContactChannel.SMS, ContactChannel.VOICE)
"""A phone number given in conversation is the one we text and call; WhatsApp numbers come
from WhatsApp itself."""


class ContactArgs(BaseModel):
    email: str | None = Field(None, description="The new email address, if it changes.")
    phone: str | None = Field(None, description="The new mobile number, as written, if it "
                              "changes, e.g. '868 555 0101'.")


@tool("update_contact_details", args_schema=ContactArgs)
@relay_domain_errors
async def update_contact_details(
    runtime: ToolRuntime[ToolContext], email: str | None = None, phone: str | None = None
) -> Result:
    """Change the verified borrower's email address and/or mobile number.

    Read the new details back to the borrower and get a yes before calling. A new number
    becomes the one we text and call first; the old one stays on file. A number or address
    another customer has registered is refused.
    """
    context = runtime.context
    customer_id = require_customer(context)
    if not (email and email.strip()) and not (phone and phone.strip()):
        raise ValidationError("Tell me the new email address or phone number.")
    changed: Result = {}
    async with context.session.begin_nested():
        if email and email.strip():
            address = normalise_email(email)
            await update_profile(context.session, customer_id=customer_id, email=address,
                                 today=context.today, actor=context.actor)
            changed["email"] = address
        if phone and phone.strip():
            number = normalise_phone(phone)
            for channel in PHONE_CHANNELS:
                await add_contact_point(context.session, customer_id=customer_id,
                                        channel=channel, address=number, actor=context.actor,
                                        primary=True)
            changed["phone"] = display_phone(number)
    return changed


# Without an args_schema the schema comes from the signature, and pydantic cannot build one
# for ToolContext (its payment provider is a Protocol): Any keeps the context out of it.
@tool("opt_out_marketing")
@relay_domain_errors
async def opt_out_marketing(runtime: ToolRuntime[Any]) -> Result:
    """Stop all marketing to the verified borrower, on every channel. Messages about their
    loans and applications continue.
    """
    context: ToolContext = runtime.context
    customer_id = require_customer(context)
    await withdraw_consent(
        context.session, customer_id=customer_id, consent_type=ConsentType.MARKETING,
        now=context.now, actor=context.actor,
        source=f"{context.channel} conversation {context.conversation_id}")
    return {"opted_out": True}
