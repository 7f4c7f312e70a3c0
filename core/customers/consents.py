"""Consents as an append-only history of decisions; the latest relevant decision wins.

- Granting and withdrawing each add a row (when, source, reference such as a terms version);
  nothing is updated or deleted, so the state at any past moment can be reconstructed.
- Only MARKETING may be given per channel. A marketing decision without a channel covers
  every channel: `has_consent(MARKETING, channel=SMS)` looks at SMS decisions and
  channel-less ones together and takes the latest, so "stop all marketing" overrides an
  earlier SMS opt-in, and a later SMS opt-in re-enables SMS only.
- No decision on record means no consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.customers.models import Consent, ConsentType, ContactChannel
from core.customers.repository import load_customer
from core.errors import ValidationError


async def _record(
    session: AsyncSession, *, customer_id: int, consent_type: ConsentType, granted: bool,
    now: datetime, source: str, actor: str, channel: ContactChannel | None,
    reference: str | None,
) -> Consent:
    await load_customer(session, customer_id)
    if channel is not None and consent_type is not ConsentType.MARKETING:
        raise ValidationError("Only marketing consent is given per channel.")
    source = source.strip()
    if not source:
        raise ValidationError("Say where the consent decision came from (the source).")
    if now.tzinfo is None:
        raise ValidationError("The time of a consent decision needs a time zone.")
    consent = Consent(
        customer_id=customer_id, consent_type=consent_type, channel=channel, granted=granted,
        recorded_at=now, source=source[:200], reference=reference,
    )
    session.add(consent)
    await session.flush()
    await trail.record(
        session, actor=actor,
        action="customer.consent_granted" if granted else "customer.consent_withdrawn",
        entity_type="customer", entity_id=customer_id,
        after={
            "consent_id": consent.id, "consent_type": consent_type, "channel": channel,
            "granted": granted, "source": consent.source, "reference": reference,
        },
    )
    return consent


async def grant_consent(
    session: AsyncSession, *, customer_id: int, consent_type: ConsentType, now: datetime,
    source: str, actor: str, channel: ContactChannel | None = None,
    reference: str | None = None,
) -> Consent:
    """Record that the customer gave consent at `now`, from `source` (e.g. "whatsapp chat").

    `reference` names what was agreed to, e.g. "terms v3". Raises ValidationError for a
    channel on a non-marketing consent or an empty source, NotFoundError for an unknown id.
    """
    return await _record(
        session, customer_id=customer_id, consent_type=consent_type, granted=True, now=now,
        source=source, actor=actor, channel=channel, reference=reference,
    )


async def withdraw_consent(
    session: AsyncSession, *, customer_id: int, consent_type: ConsentType, now: datetime,
    source: str, actor: str, channel: ContactChannel | None = None,
    reference: str | None = None,
) -> Consent:
    """Record that the customer withdrew (or refused) consent: a new row, never a delete.

    Recorded even when no consent was given before, so an opt-out is always on file.
    """
    return await _record(
        session, customer_id=customer_id, consent_type=consent_type, granted=False, now=now,
        source=source, actor=actor, channel=channel, reference=reference,
    )


async def has_consent(
    session: AsyncSession, *, customer_id: int, consent_type: ConsentType,
    channel: ContactChannel | None = None,
) -> bool:
    """Whether the latest decision that applies (see the module docstring) is a grant."""
    scope: ColumnElement[bool] = Consent.channel.is_(None)
    if channel is not None:
        scope = or_(scope, Consent.channel == channel)
    granted = await session.scalar(
        select(Consent.granted)
        .where(Consent.customer_id == customer_id, Consent.consent_type == consent_type, scope)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(granted)


async def consent_history(
    session: AsyncSession, *, customer_id: int, consent_type: ConsentType | None = None
) -> Sequence[Consent]:
    """Every consent decision of the customer, oldest first."""
    query = select(Consent).where(Consent.customer_id == customer_id)
    if consent_type is not None:
        query = query.where(Consent.consent_type == consent_type)
    rows = await session.scalars(query.order_by(Consent.recorded_at, Consent.id))
    return rows.all()


def current_decisions(history: Sequence[Consent]) -> list[Consent]:
    """The latest decision per (type, channel) from a history ordered oldest first."""
    latest: dict[tuple[ConsentType, ContactChannel | None], Consent] = {}
    for consent in history:
        latest[(consent.consent_type, consent.channel)] = consent
    return list(latest.values())
