"""Contact points: one owner per active (channel, address), primaries, verification, removal,
and finding the customer behind an inbound address."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.customers.contacts import (
    add_contact_point,
    find_customer_by_contact,
    list_contact_points,
    remove_contact_point,
    verify_contact_point,
)
from core.customers.models import ContactChannel, ContactPoint, Customer
from core.customers.service import register_customer
from core.errors import ConflictError, NotFoundError, ValidationError
from tests.integration.rows import CUSTOMER_TABLES, row_counts

TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
ACTOR = "agent"
WHATSAPP, SMS, EMAIL = ContactChannel.WHATSAPP, ContactChannel.SMS, ContactChannel.EMAIL


async def customer(session: AsyncSession, first_name: str, *contacts: tuple[ContactChannel, str]
                   ) -> Customer:
    return await register_customer(
        session, first_name=first_name, last_name="Mohammed", date_of_birth=date(1990, 5, 5),
        today=TODAY, actor=ACTOR, contacts=contacts,
    )


async def test_inbound_addresses_map_to_one_customer(session: AsyncSession) -> None:
    kamla = await customer(session, "Kamla", (WHATSAPP, "868 555 0110"), (EMAIL, "K@Example.tt"))
    await customer(session, "Jason", (SMS, "868 555 0110"))
    for form in ("whatsapp:+18685550110", "+1 868-555-0110", "(868) 555 0110"):
        found = await find_customer_by_contact(session, channel=WHATSAPP, address=form)
        assert found is not None and found.id == kamla.id
    jason = await find_customer_by_contact(session, channel=SMS, address="+18685550110")
    assert jason is not None and jason.first_name == "Jason"
    assert await find_customer_by_contact(session, channel=EMAIL, address="k@example.TT") == kamla
    assert await find_customer_by_contact(session, channel=WHATSAPP, address="868 555 0111") is None
    assert await find_customer_by_contact(session, channel=WHATSAPP, address="anonymous") is None


async def test_an_address_owned_by_another_customer_is_refused(session: AsyncSession) -> None:
    await customer(session, "Kamla", (WHATSAPP, "868 555 0110"))
    jason = await customer(session, "Jason")
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(ConflictError) as refused:
        await add_contact_point(session, customer_id=jason.id, channel=WHATSAPP,
                                address="+1 868 555 0110", actor=ACTOR)
    assert refused.value.message == (
        "+1 868-555-0110 is already registered to another customer on WhatsApp."
    )
    with pytest.raises(ValidationError, match="not a valid phone number"):
        await add_contact_point(session, customer_id=jason.id, channel=SMS, address="868 123 4567",
                                actor=ACTOR)
    with pytest.raises(NotFoundError, match="no customer with id"):
        await add_contact_point(session, customer_id=jason.id + 100, channel=SMS,
                                address="868 555 0120", actor=ACTOR)
    assert await row_counts(session, CUSTOMER_TABLES) == before


async def test_one_primary_per_channel(session: AsyncSession) -> None:
    kamla = await customer(session, "Kamla", (SMS, "868 555 0110"))
    second = await add_contact_point(session, customer_id=kamla.id, channel=SMS,
                                     address="868 555 0111", actor=ACTOR)
    first_email = await add_contact_point(session, customer_id=kamla.id, channel=EMAIL,
                                          address="kamla@example.tt", actor=ACTOR)
    assert not second.is_primary and first_email.is_primary
    again = await add_contact_point(session, customer_id=kamla.id, channel=SMS,
                                    address="+18685550111", primary=True, actor=ACTOR)
    assert again.id == second.id
    points = await list_contact_points(session, customer_id=kamla.id)
    assert [(p.channel, p.address, p.is_primary) for p in points] == [
        (EMAIL, "kamla@example.tt", True),
        (SMS, "+18685550111", True),
        (SMS, "+18685550110", False),
    ]
    third = await add_contact_point(session, customer_id=kamla.id, channel=SMS,
                                    address="868 555 0112", primary=True, actor=ACTOR)
    primaries = await session.scalars(
        select(ContactPoint.id).where(ContactPoint.customer_id == kamla.id,
                                      ContactPoint.channel == SMS, ContactPoint.is_primary)
    )
    assert list(primaries) == [third.id]
    before = await row_counts(session, CUSTOMER_TABLES)
    await add_contact_point(session, customer_id=kamla.id, channel=SMS, address="868 555 0112",
                            actor=ACTOR)
    assert await row_counts(session, CUSTOMER_TABLES) == before


async def test_verify_is_idempotent_and_scoped_to_the_customer(session: AsyncSession) -> None:
    kamla = await customer(session, "Kamla", (WHATSAPP, "868 555 0110"))
    jason = await customer(session, "Jason")
    (point,) = await list_contact_points(session, customer_id=kamla.id)
    verified = await verify_contact_point(session, customer_id=kamla.id, contact_id=point.id,
                                          now=NOW, actor=ACTOR)
    assert verified.verified and verified.verified_at == NOW
    later = datetime(2025, 4, 1, tzinfo=UTC)
    await verify_contact_point(session, customer_id=kamla.id, contact_id=point.id, now=later,
                               actor=ACTOR)
    assert point.verified_at == NOW
    events = await trail.history(session, entity_type="customer", entity_id=kamla.id)
    assert [e.action for e in events].count("customer.contact_verified") == 1
    with pytest.raises(NotFoundError, match=f"Customer {jason.id} has no contact point"):
        await verify_contact_point(session, customer_id=jason.id, contact_id=point.id, now=NOW,
                                   actor=ACTOR)


async def test_removal_keeps_history_frees_the_address_and_promotes(
    session: AsyncSession,
) -> None:
    kamla = await customer(session, "Kamla", (SMS, "868 555 0110"), (SMS, "868 555 0111"))
    first, second = await list_contact_points(session, customer_id=kamla.id)
    assert first.is_primary and first.address == "+18685550110"
    removed = await remove_contact_point(session, customer_id=kamla.id, contact_id=first.id,
                                         now=NOW, actor=ACTOR)
    assert not removed.active and removed.removed_at == NOW and not removed.is_primary
    assert second.is_primary
    assert [p.id for p in await list_contact_points(session, customer_id=kamla.id)] == [second.id]
    everything = await list_contact_points(session, customer_id=kamla.id, include_removed=True)
    assert {p.id for p in everything} == {first.id, second.id}
    assert await find_customer_by_contact(session, channel=SMS, address="868 555 0110") is None
    jason = await customer(session, "Jason", (SMS, "868 555 0110"))
    assert await find_customer_by_contact(session, channel=SMS, address="868 555 0110") == jason
    with pytest.raises(ConflictError, match="already removed"):
        await remove_contact_point(session, customer_id=kamla.id, contact_id=first.id, now=NOW,
                                   actor=ACTOR)
    with pytest.raises(ConflictError, match="was removed"):
        await verify_contact_point(session, customer_id=kamla.id, contact_id=first.id, now=NOW,
                                   actor=ACTOR)
