"""Identify and verify the borrower: a one-time code to their registered phone, or their date
of birth and ID digits (voice), and finding who a phone number belongs to (web chat).

These are the only tools that read `claimed_customer_id`, the customer the channel address
proposes. Success returns the `customer_id` the agent then treats as verified; every
attempt, right or wrong, is written to the audit trail against the claimed customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.audit import trail
from core.customers.contacts import (
    find_customer_by_contact,
    list_contact_points,
    verify_contact_point,
)
from core.customers.identity import matches_verification
from core.customers.models import ContactChannel, ContactPoint
from core.customers.validation import normalise_phone
from core.errors import ConflictError, NotFoundError, ValidationError
from core.otp.service import Outcome, issue, verify
from tools.context import ToolContext
from tools.inputs import contact_channel
from tools.results import Result, relay_domain_errors

MAX_KNOWLEDGE_TRIES: Final = 3
"""Wrong date-of-birth answers allowed per conversation before the check is locked."""
_PHONES: Final = (ContactChannel.SMS, ContactChannel.WHATSAPP, ContactChannel.VOICE)
_VERIFIED: Final = "customer.identity_verified"
_FAILED: Final = "customer.verification_failed"


def _claimed(context: ToolContext) -> int:
    if context.claimed_customer_id is None:
        raise NotFoundError("I can't tell which customer you are yet; please give the phone "
                            "number you registered with us.")
    return context.claimed_customer_id


def _purpose(context: ToolContext) -> str:
    return f"verify:conversation-{context.conversation_id}"


def _subject(customer_id: int) -> str:
    return f"customer:{customer_id}"


def masked(e164: str) -> str:
    """How a registered number is named to whoever holds the chat: only its last four digits,
    in words that read and speak well ("your number ending in 0101")."""
    return f"your number ending in {e164[-4:]}"


async def _destination(context: ToolContext, customer_id: int) -> ContactPoint:
    """The phone the code goes to: the conversation's own channel if it carries text
    (WhatsApp, SMS), else SMS, WhatsApp, voice; the primary one first."""
    points = await list_contact_points(context.session, customer_id=customer_id)
    own = contact_channel(context.channel)
    first = [own] if own in (ContactChannel.WHATSAPP, ContactChannel.SMS) else []
    order = [*first, *(channel for channel in _PHONES if channel not in first)]
    for channel in order:
        found = [p for p in points if p.channel is channel]
        if found:
            return sorted(found, key=lambda p: not p.is_primary)[0]
    raise ConflictError("We have no phone number on file to send a code to; a member of our "
                        "team can help you.")


async def _audit(context: ToolContext, customer_id: int, action: str, **after: object) -> None:
    await trail.record(
        context.session, actor=context.actor, action=action, entity_type="customer",
        entity_id=customer_id, channel=context.channel,
        after={"conversation_id": context.conversation_id, **after},
    )


# Without an args_schema the schema comes from the signature, and pydantic cannot build one
# for ToolContext (its payment provider is a Protocol): Any keeps the context out of it.
@tool("send_verification_code")
@relay_domain_errors
async def send_verification_code(runtime: ToolRuntime[Any]) -> Result:
    """Create a one-time code to confirm the borrower's identity, to send to their phone.

    Use it before disclosing or changing anything on an account. Deliver `code` only to
    the registered number it is made for (`channel`, `contact_point_id`; `destination` is
    that number masked, to tell the borrower where to look) and never in a web-chat reply,
    which would defeat the check. A new code replaces the previous one and expires at
    `expires_at` (five minutes). Then ask for it and call check_verification_code.
    """
    context: ToolContext = runtime.context
    customer_id = _claimed(context)
    point = await _destination(context, customer_id)
    issued = await issue(context.session, purpose=_purpose(context),
                         subject=_subject(customer_id), secret=context.otp_key, now=context.now)
    await _audit(context, customer_id, "customer.verification_code_sent",
                 contact_point_id=point.id, expires_at=issued.expires_at)
    return {"code": issued.code, "expires_at": issued.expires_at.isoformat(),
            "destination": masked(point.address), "channel": point.channel.value,
            "contact_point_id": point.id}


class CodeArgs(BaseModel):
    code: str = Field(description="The six-digit code the borrower typed or said, e.g. 123456.")


@tool("check_verification_code", args_schema=CodeArgs)
@relay_domain_errors
async def check_verification_code(runtime: ToolRuntime[ToolContext], code: str) -> Result:
    """Check the one-time code the borrower gives back; on success they are verified.

    `outcome` is ok, wrong (ask again: `tries_left` more tries), expired or locked (offer a
    new code with send_verification_code), or no_code (none was sent: send one).
    `customer_id` is the verified borrower when `verified` is true, else null.
    """
    context = runtime.context
    customer_id = _claimed(context)
    given = "".join(code.split())
    if not (given.isdigit() and len(given) == 6):
        raise ValidationError("A code is six digits, like 123456; please check it and try again.")
    result = await verify(context.session, purpose=_purpose(context),
                          subject=_subject(customer_id), code=given, secret=context.otp_key,
                          now=context.now)
    if result.ok:
        point = await _destination(context, customer_id)
        await verify_contact_point(context.session, customer_id=customer_id,
                                   contact_id=point.id, now=context.now, actor=context.actor)
        await _audit(context, customer_id, _VERIFIED, method="one_time_code")
    elif result.outcome is not Outcome.NO_CODE:
        await _audit(context, customer_id, _FAILED, method="one_time_code",
                     outcome=result.outcome.value)
    return {"verified": result.ok, "outcome": result.outcome.value,
            "tries_left": result.tries_left, "message": result.message,
            "customer_id": customer_id if result.ok else None}


class DateOfBirthArgs(BaseModel):
    date_of_birth: dt.date = Field(description="The borrower's date of birth, as YYYY-MM-DD.")
    id_digits: str = Field(description="The last four digits (or characters) of the "
                           "borrower's national ID, passport or driver's permit number.")


@tool("verify_date_of_birth", args_schema=DateOfBirthArgs)
@relay_domain_errors
async def verify_date_of_birth(
    runtime: ToolRuntime[ToolContext], date_of_birth: dt.date, id_digits: str
) -> Result:
    """Verify the caller by date of birth and the last four digits of their ID (for voice,
    where they key them in). Both must match the customer the calling number belongs to.

    After three wrong answers in a conversation the check is locked (`tries_left` 0):
    offer a one-time code or a member of staff instead.
    """
    context = runtime.context
    customer_id = _claimed(context)
    given = "".join(ch for ch in id_digits if ch.isalnum())
    if len(given) < 4:
        raise ValidationError("Please give the last four digits of your ID number.")
    history = await trail.history(context.session, entity_type="customer",
                                  entity_id=customer_id)
    failures = sum(1 for event in history if event.actor == context.actor
                   and event.action == _FAILED
                   and (event.after or {}).get("method") == "date_of_birth")
    if failures >= MAX_KNOWLEDGE_TRIES:
        return {"verified": False, "customer_id": None, "tries_left": 0}
    matched = await matches_verification(context.session, customer_id=customer_id,
                                         date_of_birth=date_of_birth, id_last4=given[-4:])
    await _audit(context, customer_id, _VERIFIED if matched else _FAILED,
                 method="date_of_birth")
    tries_left = MAX_KNOWLEDGE_TRIES - failures - (0 if matched else 1)
    return {"verified": matched, "customer_id": customer_id if matched else None,
            "tries_left": tries_left}


class PhoneArgs(BaseModel):
    phone: str = Field(description="The phone number the borrower says they registered "
                       "with, as written, e.g. '868 555 0101' or '+1 868 555 0101'.")


@tool("find_customer_by_phone", args_schema=PhoneArgs)
@relay_domain_errors
async def find_customer_by_phone(runtime: ToolRuntime[ToolContext], phone: str) -> Result:
    """Find which customer registered a phone number (web chat, where the address says
    nothing). It only proposes who the borrower may be: verify them next with
    send_verification_code, which sends the code to that number. Reveals nothing else.
    """
    context = runtime.context
    number = normalise_phone(phone)
    for channel in _PHONES:
        customer = await find_customer_by_contact(context.session, channel=channel,
                                                  address=number)
        if customer is not None:
            return {"found": True, "customer_id": customer.id}
    return {"found": False, "customer_id": None}
