"""Registering, changing, searching and summarising customers against PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.crypto import FieldCipher
from core.customers.contacts import add_contact_point
from core.customers.identity import add_identity_document
from core.customers.models import ContactChannel, Customer, CustomerStatus, DocumentType
from core.customers.service import (
    register_customer,
    search_customers,
    set_customer_status,
    update_profile,
)
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from lendline.settings import Settings
from tests.integration.rows import CUSTOMER_TABLES, row_counts

TODAY = date(2025, 3, 14)
ACTOR = "staff:1"


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(settings.resolved_secret_key())


async def asha(session: AsyncSession, **changes: Any) -> Customer:
    values: dict[str, Any] = {
        "first_name": "Asha", "last_name": "Ramdial", "date_of_birth": date(1988, 7, 2),
        "today": TODAY, "actor": ACTOR, "email": "Asha.Ramdial@example.tt",
        "contacts": [(ContactChannel.WHATSAPP, "+1 868 555 0101"),
                     (ContactChannel.SMS, "868-555-0101")],
    }
    return await register_customer(session, **{**values, **changes})


async def test_register_numbers_the_customer_and_adds_primary_contacts(
    session: AsyncSession,
) -> None:
    customer = await asha(session)
    assert customer.number == f"CU-{customer.id:06d}"
    assert customer.email == "asha.ramdial@example.tt"
    assert customer.time_zone == "America/Port_of_Spain"
    assert customer.preferred_language == "en" and customer.status is CustomerStatus.ACTIVE
    second = await asha(session, first_name="Ravi", contacts=[])
    assert second.id == customer.id + 1 and second.number == f"CU-{second.id:06d}"
    events = await trail.history(session, entity_type="customer", entity_id=customer.id)
    assert [e.action for e in events] == [
        "customer.registered", "customer.contact_added", "customer.contact_added"
    ]
    assert events[0].after is not None and events[0].after["number"] == customer.number
    assert events[1].after is not None and events[1].after["address"] == "+18685550101"
    assert events[1].after["primary"] is True and events[1].after["verified"] is False


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"date_of_birth": date(2025, 3, 15)}, ValidationError,
         "15 March 2025 is in the future"),
        ({"first_name": "  "}, ValidationError, "first name cannot be empty"),
        ({"email": "asha-at-example"}, ValidationError, "not an email address"),
        ({"time_zone": "Trinidad"}, ValidationError, "not a known time zone"),
        ({"preferred_language": "Trini"}, ValidationError, "not a language code"),
        ({"contacts": [(ContactChannel.SMS, "555 0101")]}, ValidationError,
         "not a valid phone number"),
        ({"contacts": [(ContactChannel.SMS, "868 555 0102"),
                       (ContactChannel.SMS, "8685550102")]}, ValidationError, "listed twice"),
        ({"contacts": [(ContactChannel.SMS, "868 555 0199"),
                       (ContactChannel.WHATSAPP, "868 555 0101")]},
         ConflictError, "already registered to another customer on WhatsApp"),
    ],
)
async def test_bad_registrations_change_nothing(
    session: AsyncSession, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    await asha(session)
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(error, match=message):
        await asha(session, **{"first_name": "Other", **changes})
    assert await row_counts(session, CUSTOMER_TABLES) == before


async def test_update_profile_audits_only_what_changed(session: AsyncSession) -> None:
    customer = await asha(session)
    updated = await update_profile(
        session, customer_id=customer.id, today=TODAY, actor=ACTOR, last_name="Ramdial-Khan",
        email=None, preferred_channel=ContactChannel.WHATSAPP, first_name="Asha",
    )
    assert updated.last_name == "Ramdial-Khan" and updated.email is None
    events = await trail.history(session, entity_type="customer", entity_id=customer.id)
    assert events[-1].action == "customer.profile_updated"
    assert events[-1].before == {
        "last_name": "Ramdial", "email": "asha.ramdial@example.tt", "preferred_channel": None
    }
    assert events[-1].after == {
        "last_name": "Ramdial-Khan", "email": None, "preferred_channel": "whatsapp"
    }
    before = await row_counts(session, CUSTOMER_TABLES)
    await update_profile(session, customer_id=customer.id, today=TODAY, actor=ACTOR,
                         last_name=" Ramdial-Khan ")
    assert await row_counts(session, CUSTOMER_TABLES) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_of_birth": date(2026, 1, 1)}, "in the future"),
        ({"email": "nope"}, "not an email address"),
        ({"time_zone": "Mars/Base"}, "not a known time zone"),
        ({"last_name": "", "first_name": "Valid"}, "last name cannot be empty"),
    ],
)
async def test_bad_profile_updates_change_nothing(
    session: AsyncSession, changes: dict[str, Any], message: str
) -> None:
    customer = await asha(session)
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(ValidationError, match=message):
        await update_profile(session, customer_id=customer.id, today=TODAY, actor=ACTOR,
                             **changes)
    assert await row_counts(session, CUSTOMER_TABLES) == before
    await session.refresh(customer)
    assert customer.first_name == "Asha" and customer.email == "asha.ramdial@example.tt"


async def test_unknown_customer(session: AsyncSession) -> None:
    with pytest.raises(NotFoundError, match="no customer with id 999999"):
        await update_profile(session, customer_id=999_999, today=TODAY, actor=ACTOR,
                             first_name="X")


async def test_status_changes_and_deceased_is_final(session: AsyncSession) -> None:
    customer = await asha(session)
    await set_customer_status(session, customer_id=customer.id, status=CustomerStatus.BLOCKED,
                              reason="Suspected fraud", actor=ACTOR)
    assert customer.status is CustomerStatus.BLOCKED
    with pytest.raises(ValidationError, match="Give a reason"):
        await set_customer_status(session, customer_id=customer.id,
                                  status=CustomerStatus.ACTIVE, reason=" ", actor=ACTOR)
    await set_customer_status(session, customer_id=customer.id, status=CustomerStatus.DECEASED,
                              reason="Death certificate received", actor=ACTOR)
    with pytest.raises(InvalidTransition, match="deceased"):
        await set_customer_status(session, customer_id=customer.id,
                                  status=CustomerStatus.ACTIVE, reason="Error", actor=ACTOR)
    events = await trail.history(session, entity_type="customer", entity_id=customer.id)
    assert [(e.before, e.after) for e in events if e.action == "customer.status_changed"] == [
        ({"status": "active"}, {"status": "blocked", "reason": "Suspected fraud"}),
        ({"status": "blocked"}, {"status": "deceased", "reason": "Death certificate received"}),
    ]


async def test_search_by_every_key(session: AsyncSession, cipher: FieldCipher) -> None:
    first = await asha(session)
    other = await asha(session, first_name="Ravi", last_name="Ramkissoon", email=None,
                       contacts=[(ContactChannel.VOICE, "868 555 0150")])
    await add_identity_document(
        session, cipher=cipher, customer_id=other.id, document_type=DocumentType.NATIONAL_ID,
        number="19850101001", today=TODAY, actor=ACTOR,
    )
    await add_contact_point(session, customer_id=other.id, channel=ContactChannel.EMAIL,
                            address="ravi@example.tt", actor=ACTOR)

    async def ids(query: str) -> list[int]:
        return [c.id for c in await search_customers(session, query=query, cipher=cipher)]

    assert await ids(first.number.lower()) == [first.id]
    assert await ids("ram") == [first.id, other.id]
    assert await ids("asha RAMD") == [first.id]
    assert await ids("+1 (868) 555-0150") == [other.id]
    assert await ids("868 555 0101") == [first.id]
    assert await ids("ASHA.RAMDIAL@example.tt") == [first.id]
    assert await ids("1985-0101-001") == [other.id]
    assert await ids("%") == [] and await ids("Nobody") == []
    with pytest.raises(ValidationError, match="Type a name"):
        await ids("   ")
