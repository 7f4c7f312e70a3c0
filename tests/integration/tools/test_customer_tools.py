"""Customer tools: changing the verified borrower's email and phone, and opting out of
marketing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.consents import consent_history, has_consent
from core.customers.contacts import list_contact_points
from core.customers.models import ConsentType, ContactChannel
from core.customers.repository import load_customer
from tests.integration.tools.support import (
    JUDGMENT_ID,
    TT,
    audit_actions,
    borrower,
    call,
    context,
    snapshot,
)
from tools.customers import opt_out_marketing, update_contact_details

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=TT)


async def test_new_email_and_phone(session: AsyncSession) -> None:
    asha = await borrower(session, today=NOW.date(), phone="+18685550160")
    result = await call(update_contact_details, context(session, now=NOW, customer=asha),
                        email=" Asha.R@Example.COM ", phone="868 555 0161")
    assert result == {"email": "asha.r@example.com", "phone": "+1 868-555-0161"}
    assert (await load_customer(session, asha.id)).email == "asha.r@example.com"
    points = {(p.channel, p.address, p.is_primary)
              for p in await list_contact_points(session, customer_id=asha.id)}
    assert points == {
        (ContactChannel.WHATSAPP, "+18685550160", True),
        (ContactChannel.SMS, "+18685550161", True), (ContactChannel.SMS, "+18685550160", False),
        (ContactChannel.VOICE, "+18685550161", True)}
    assert await audit_actions(session) == [
        "customer.profile_updated", "customer.contact_added", "customer.contact_added"]


async def test_a_number_someone_else_holds_is_refused_and_nothing_changes(
    session: AsyncSession,
) -> None:
    asha = await borrower(session, today=NOW.date(), phone="+18685550162")
    asha_id = asha.id  # the rolled-back attempt expires the loaded customer
    await borrower(session, today=NOW.date(), phone="+18685550163", first_name="Ravi",
                   national_id=JUDGMENT_ID)
    before = await snapshot(session)
    result = await call(update_contact_details, context(session, now=NOW, customer=asha),
                        email="asha@example.com", phone="+1 868 555 0163")
    assert result == {"error": "+1 868-555-0163 is already registered to another customer "
                      "on SMS.", "kind": "ConflictError"}
    assert await snapshot(session) == before
    assert (await load_customer(session, asha_id)).email is None


async def test_contact_refusals(session: AsyncSession) -> None:
    asha = await borrower(session, today=NOW.date())
    turn = context(session, now=NOW, customer=asha)
    before = await snapshot(session)
    assert (await call(update_contact_details, turn))["error"] == (
        "Tell me the new email address or phone number.")
    assert (await call(update_contact_details, turn, email="not-an-email"))["error"] == (
        "'not-an-email' is not an email address.")
    assert (await call(update_contact_details, turn, phone="12"))["kind"] == "ValidationError"
    unverified = await call(update_contact_details, context(session, now=NOW, claimed=asha),
                            email="a@example.com")
    assert unverified["kind"] == "PermissionDenied"
    assert await snapshot(session) == before


async def test_opt_out_of_marketing(session: AsyncSession) -> None:
    asha = await borrower(session, today=NOW.date())
    turn = context(session, now=NOW, customer=asha)
    assert await call(opt_out_marketing, turn) == {"opted_out": True}
    assert not await has_consent(session, customer_id=asha.id,
                                 consent_type=ConsentType.MARKETING,
                                 channel=ContactChannel.SMS)
    (decision,) = await consent_history(session, customer_id=asha.id,
                                        consent_type=ConsentType.MARKETING)
    assert (decision.granted, decision.channel, decision.source) == (
        False, None, "whatsapp conversation 4242")
    assert await audit_actions(session) == ["customer.consent_withdrawn"]
    before = await snapshot(session)
    unverified = await call(opt_out_marketing, context(session, now=NOW, claimed=asha))
    assert unverified["kind"] == "PermissionDenied"
    assert await snapshot(session) == before
