"""Register customers, change their profile and status, and search for them.

Every input is validated before anything is written, so a refused request leaves the
database as it was. Changes are audited with the fields' values before and after.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from typing import Final

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.crypto import FieldCipher
from core.customers.contacts import check_address_free, insert_contact_point
from core.customers.models import (
    DEFAULT_TIME_ZONE,
    ContactChannel,
    ContactPoint,
    Customer,
    CustomerStatus,
    IdentityDocument,
)
from core.customers.repository import load_customer
from core.customers.validation import (
    check_date_of_birth,
    check_language,
    check_name,
    check_time_zone,
    normalise_address,
    normalise_email,
    normalise_phone,
)
from core.errors import InvalidTransition, ValidationError


class _Unset(enum.Enum):
    TOKEN = "unset"


UNSET: Final = _Unset.TOKEN
"""Default of `update_profile` arguments: leave the field as it is."""

_PROFILE_FIELDS = (
    "first_name", "last_name", "date_of_birth", "email", "preferred_language", "time_zone",
    "preferred_channel",
)


def _profile(customer: Customer) -> dict[str, object]:
    return {field: getattr(customer, field) for field in _PROFILE_FIELDS}


def customer_number(sequence_value: int) -> str:
    """The customer number for an id: 42 → "CU-000042"."""
    return f"CU-{sequence_value:06d}"


async def register_customer(
    session: AsyncSession, *, first_name: str, last_name: str, date_of_birth: date,
    today: date, actor: str, email: str | None = None, preferred_language: str = "en",
    time_zone: str = DEFAULT_TIME_ZONE, preferred_channel: ContactChannel | None = None,
    contacts: Sequence[tuple[ContactChannel, str]] = (),
) -> Customer:
    """Create a customer with a new number ("CU-000001") and optional contact points.

    The first contact point on each channel becomes primary; none is verified yet. Raises
    ValidationError for an empty name, a future or implausible date of birth, a bad email,
    phone, language or time zone; ConflictError when a contact address belongs to someone.
    """
    first_name = check_name(first_name, "first name")
    last_name = check_name(last_name, "last name")
    check_date_of_birth(date_of_birth, today=today)
    email = normalise_email(email) if email else None
    check_language(preferred_language)
    check_time_zone(time_zone)
    canonical: list[tuple[ContactChannel, str]] = []
    for channel, address in contacts:
        entry = (channel, normalise_address(channel, address))
        if entry in canonical:
            raise ValidationError(f"{address} is listed twice for {channel.value}.")
        await check_address_free(session, customer_id=None, channel=entry[0], address=entry[1])
        canonical.append(entry)

    # The number is derived from the id, so take the id from its sequence before inserting.
    next_id = int(
        await session.scalar(text("SELECT nextval(pg_get_serial_sequence('customers', 'id'))"))
    )
    customer = Customer(
        id=next_id, number=customer_number(next_id), first_name=first_name,
        last_name=last_name, date_of_birth=date_of_birth, email=email,
        preferred_language=preferred_language, time_zone=time_zone,
        preferred_channel=preferred_channel, status=CustomerStatus.ACTIVE,
    )
    session.add(customer)
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.registered", entity_type="customer",
        entity_id=customer.id, after={"number": customer.number, **_profile(customer)},
    )
    for channel, address in canonical:
        await insert_contact_point(
            session, customer=customer, channel=channel, address=address, primary=False,
            verified_at=None, actor=actor,
        )
    return customer


async def update_profile(
    session: AsyncSession, *, customer_id: int, today: date, actor: str,
    first_name: str | _Unset = UNSET, last_name: str | _Unset = UNSET,
    date_of_birth: date | _Unset = UNSET, email: str | _Unset | None = UNSET,
    preferred_language: str | _Unset = UNSET, time_zone: str | _Unset = UNSET,
    preferred_channel: ContactChannel | _Unset | None = UNSET,
) -> Customer:
    """Change the given profile fields (others stay); `email=None` clears the email.

    Validates like `register_customer`; audits the changed fields before and after. A call
    that changes nothing writes nothing.
    """
    customer = await load_customer(session, customer_id)
    changes: dict[str, object] = {}
    if not isinstance(first_name, _Unset):
        changes["first_name"] = check_name(first_name, "first name")
    if not isinstance(last_name, _Unset):
        changes["last_name"] = check_name(last_name, "last name")
    if not isinstance(date_of_birth, _Unset):
        changes["date_of_birth"] = check_date_of_birth(date_of_birth, today=today)
    if not isinstance(email, _Unset):
        changes["email"] = normalise_email(email) if email else None
    if not isinstance(preferred_language, _Unset):
        changes["preferred_language"] = check_language(preferred_language)
    if not isinstance(time_zone, _Unset):
        changes["time_zone"] = check_time_zone(time_zone)
    if not isinstance(preferred_channel, _Unset):
        changes["preferred_channel"] = preferred_channel
    changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    before = {k: getattr(customer, k) for k in changed}
    for field, value in changed.items():
        setattr(customer, field, value)
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.profile_updated", entity_type="customer",
        entity_id=customer.id, before=before, after=changed,
    )
    return customer


async def set_customer_status(
    session: AsyncSession, *, customer_id: int, status: CustomerStatus, reason: str, actor: str
) -> Customer:
    """Block, close, reactivate or mark deceased, with a reason; DECEASED is final.

    Raises ValidationError without a reason, InvalidTransition out of DECEASED.
    """
    customer = await load_customer(session, customer_id)
    if not reason.strip():
        raise ValidationError("Give a reason for changing the customer's status.")
    if customer.status is status:
        return customer
    if customer.status is CustomerStatus.DECEASED:
        raise InvalidTransition("The customer is recorded as deceased; the status is final.")
    before = customer.status
    customer.status = status
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.status_changed", entity_type="customer",
        entity_id=customer.id, before={"status": before},
        after={"status": status, "reason": reason.strip()},
    )
    return customer


async def search_customers(
    session: AsyncSession, *, query: str, cipher: FieldCipher, limit: int = 20
) -> Sequence[Customer]:
    """Customers matching a number, email, phone, identity number or name words.

    Exact keys (customer number, email, phone on any channel, document number by lookup
    hash) match exactly; otherwise every word must appear in the first or last name.
    """
    words = query.split()
    if not words:
        raise ValidationError("Type a name, customer number, phone, email or ID number.")
    term = " ".join(words)
    conditions = [
        Customer.number == term.upper(),
        func.lower(Customer.email) == term.lower(),
        Customer.id.in_(
            select(IdentityDocument.customer_id).where(
                IdentityDocument.number_hash == cipher.lookup_hash(term)
            )
        ),
        and_(*(
            or_(
                Customer.first_name.icontains(word, autoescape=True),
                Customer.last_name.icontains(word, autoescape=True),
            )
            for word in words
        )),
    ]
    try:
        phone = normalise_phone(term)
    except ValidationError:
        phone = None
    if phone is not None:
        conditions.append(
            Customer.id.in_(
                select(ContactPoint.customer_id).where(
                    ContactPoint.address == phone, ContactPoint.active
                )
            )
        )
    rows = await session.scalars(
        select(Customer).where(or_(*conditions)).order_by(Customer.id).limit(limit)
    )
    return rows.all()
