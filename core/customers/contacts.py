"""Contact points: add, verify and remove them; find the customer behind an address.

Rules:
- addresses are canonical: E.164 for WhatsApp, SMS and voice; lower-case for email;
- among active contact points a (channel, address) belongs to one customer, so an inbound
  message maps to at most one customer (a partial unique index backs this up);
- each customer has at most one primary contact point per channel; the first one added on a
  channel becomes primary, and removing the primary promotes the oldest remaining one;
- removal deactivates a row (kept for history); the address becomes free for others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.customers.models import ContactChannel, ContactPoint, Customer
from core.customers.repository import load_customer
from core.customers.validation import display_address, normalise_address
from core.errors import ConflictError, NotFoundError, ValidationError

_CHANNEL_NAMES = {
    ContactChannel.WHATSAPP: "WhatsApp",
    ContactChannel.SMS: "SMS",
    ContactChannel.VOICE: "voice",
    ContactChannel.EMAIL: "email",
}


def _snapshot(point: ContactPoint) -> dict[str, object]:
    return {
        "channel": point.channel, "address": point.address, "primary": point.is_primary,
        "verified": point.verified, "active": point.active,
    }


async def _active_owner(
    session: AsyncSession, channel: ContactChannel, address: str
) -> ContactPoint | None:
    return await session.scalar(
        select(ContactPoint).where(
            ContactPoint.channel == channel, ContactPoint.address == address, ContactPoint.active
        )
    )


async def check_address_free(
    session: AsyncSession, *, customer_id: int | None, channel: ContactChannel, address: str
) -> ContactPoint | None:
    """Raise ConflictError when another customer holds this canonical address.

    Returns the customer's own active contact point for it, if they already have one.
    """
    owner = await _active_owner(session, channel, address)
    if owner is None:
        return None
    if owner.customer_id != customer_id:
        raise ConflictError(
            f"{display_address(channel, address)} is already registered to another customer "
            f"on {_CHANNEL_NAMES[channel]}."
        )
    return owner


async def _demote_primary(session: AsyncSession, customer_id: int, channel: ContactChannel) -> None:
    await session.execute(
        update(ContactPoint)
        .where(
            ContactPoint.customer_id == customer_id, ContactPoint.channel == channel,
            ContactPoint.active, ContactPoint.is_primary,
        )
        .values(is_primary=False)
        .execution_options(synchronize_session="fetch")
    )


async def insert_contact_point(
    session: AsyncSession, *, customer: Customer, channel: ContactChannel, address: str,
    primary: bool, verified_at: datetime | None, actor: str,
) -> ContactPoint:
    """Insert an already validated, canonical, free address (see `add_contact_point`)."""
    has_primary = await session.scalar(
        select(ContactPoint.id).where(
            ContactPoint.customer_id == customer.id, ContactPoint.channel == channel,
            ContactPoint.active, ContactPoint.is_primary,
        )
    )
    if primary and has_primary is not None:
        await _demote_primary(session, customer.id, channel)
    point = ContactPoint(
        customer_id=customer.id, channel=channel, address=address,
        is_primary=primary or has_primary is None, verified_at=verified_at, active=True,
    )
    session.add(point)
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.contact_added", entity_type="customer",
        entity_id=customer.id, after={"contact_point_id": point.id, **_snapshot(point)},
    )
    return point


async def add_contact_point(
    session: AsyncSession, *, customer_id: int, channel: ContactChannel, address: str,
    actor: str, primary: bool = False, verified_at: datetime | None = None,
) -> ContactPoint:
    """Add a way to reach a customer and return it.

    `address` is normalised ("868 555 0101" → "+18685550101"). Adding an address the customer
    already has returns that contact point (made primary when `primary`). Raises
    ValidationError for an invalid phone or email, ConflictError when another customer holds
    the address on this channel, NotFoundError for an unknown customer.
    """
    customer = await load_customer(session, customer_id)
    canonical = normalise_address(channel, address)
    existing = await check_address_free(
        session, customer_id=customer.id, channel=channel, address=canonical
    )
    if existing is None:
        return await insert_contact_point(
            session, customer=customer, channel=channel, address=canonical, primary=primary,
            verified_at=verified_at, actor=actor,
        )
    if primary and not existing.is_primary:
        before = _snapshot(existing)
        await _demote_primary(session, customer.id, channel)
        existing.is_primary = True
        await session.flush()
        await trail.record(
            session, actor=actor, action="customer.contact_updated", entity_type="customer",
            entity_id=customer.id, before={"contact_point_id": existing.id, **before},
            after={"contact_point_id": existing.id, **_snapshot(existing)},
        )
    return existing


async def _own_point(session: AsyncSession, customer_id: int, contact_id: int) -> ContactPoint:
    point = await session.get(ContactPoint, contact_id)
    if point is None or point.customer_id != customer_id:
        raise NotFoundError(f"Customer {customer_id} has no contact point {contact_id}.")
    return point


async def verify_contact_point(
    session: AsyncSession, *, customer_id: int, contact_id: int, now: datetime, actor: str
) -> ContactPoint:
    """Mark a contact point verified at `now` (e.g. after a one-time code); idempotent.

    Raises NotFoundError when it is not this customer's, ConflictError when it was removed.
    """
    point = await _own_point(session, customer_id, contact_id)
    if not point.active:
        raise ConflictError("That contact point was removed; add it again to verify it.")
    if point.verified_at is None:
        point.verified_at = now
        await session.flush()
        await trail.record(
            session, actor=actor, action="customer.contact_verified", entity_type="customer",
            entity_id=customer_id, after={"contact_point_id": point.id, **_snapshot(point)},
        )
    return point


async def remove_contact_point(
    session: AsyncSession, *, customer_id: int, contact_id: int, now: datetime, actor: str
) -> ContactPoint:
    """Deactivate a contact point (the row is kept); promote another primary if needed.

    Raises NotFoundError when it is not this customer's, ConflictError when already removed.
    """
    point = await _own_point(session, customer_id, contact_id)
    if not point.active:
        raise ConflictError("That contact point was already removed.")
    before = _snapshot(point)
    was_primary = point.is_primary
    point.active, point.is_primary, point.removed_at = False, False, now
    await session.flush()
    if was_primary:
        successor = await session.scalar(
            select(ContactPoint)
            .where(
                ContactPoint.customer_id == customer_id, ContactPoint.channel == point.channel,
                ContactPoint.active,
            )
            .order_by(ContactPoint.id)
            .limit(1)
        )
        if successor is not None:
            successor.is_primary = True
            await session.flush()
    await trail.record(
        session, actor=actor, action="customer.contact_removed", entity_type="customer",
        entity_id=customer_id, before={"contact_point_id": point.id, **before},
        after={"contact_point_id": point.id, **_snapshot(point)},
    )
    return point


async def list_contact_points(
    session: AsyncSession, *, customer_id: int, include_removed: bool = False
) -> Sequence[ContactPoint]:
    """The customer's contact points, primary first within each channel, oldest first."""
    query = select(ContactPoint).where(ContactPoint.customer_id == customer_id)
    if not include_removed:
        query = query.where(ContactPoint.active)
    rows = await session.scalars(
        query.order_by(ContactPoint.channel, ContactPoint.is_primary.desc(), ContactPoint.id)
    )
    return rows.all()


async def find_customer_by_contact(
    session: AsyncSession, *, channel: ContactChannel, address: str
) -> Customer | None:
    """The customer holding `address` on `channel` among active contact points, or None.

    `address` may be in any accepted form ("whatsapp:+18685550101", "868 555 0101"); an
    address that is not a valid phone or email matches no one and gives None.
    """
    try:
        canonical = normalise_address(channel, address)
    except ValidationError:
        return None
    owner = await _active_owner(session, channel, canonical)
    if owner is None:
        return None
    return await session.get(Customer, owner.customer_id)
