"""Check a contact before it happens and log every attempt after (the caps count the log).

Call `check_contact` before every outbound contact, automated or by a person, and
`record_contact` for every attempt made, whatever its outcome. The rules are in
`core.compliance.decision` and the jurisdiction profile (`core.compliance.policy`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.compliance.decision import (
    WEEK,
    AttemptFact,
    Block,
    ContactDecision,
    ContactFacts,
    HoldFact,
    decide,
)
from core.compliance.models import (
    ActorKind,
    ChannelOptOut,
    ContactApproval,
    ContactAttempt,
    ContactHold,
    ContactPurpose,
)
from core.compliance.policy import ContactProfile, load_profile
from core.customers.consents import has_consent
from core.customers.models import (
    ConsentType,
    ContactChannel,
    ContactPoint,
    Customer,
    CustomerStatus,
)
from core.customers.repository import load_customer
from core.errors import IdempotencyConflict, NotFoundError, ValidationError

__all__ = [
    "ActorKind", "Block", "ContactDecision", "ContactPurpose", "check_contact", "contact_facts",
    "contact_history", "record_contact",
]


def _aware(at: dt.datetime, what: str = "The time of a contact") -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{what} needs a time zone (e.g. UTC).")
    return at.astimezone(dt.UTC)


async def contact_facts(
    session: AsyncSession, *, customer: Customer, channel: ContactChannel,
    purpose: ContactPurpose, at: dt.datetime,
) -> ContactFacts:
    """What `decide` needs about `customer` at `at`: holds, approvals and attempts still
    relevant then, the channel's contact point and opt-out, and marketing consent."""
    holds = await session.scalars(select(ContactHold).where(
        ContactHold.customer_id == customer.id,
        or_(ContactHold.ends_at.is_(None), ContactHold.ends_at > at),
        or_(ContactHold.released_at.is_(None), ContactHold.released_at > at),
    ))
    approvals = await session.execute(select(ContactApproval.valid_from,
                                             ContactApproval.valid_until).where(
        ContactApproval.customer_id == customer.id, ContactApproval.valid_until > at))
    attempts = await session.execute(select(ContactAttempt.attempted_at,
                                            ContactAttempt.channel).where(
        ContactAttempt.customer_id == customer.id, ContactAttempt.attempted_at > at - WEEK))
    point = await session.scalar(select(ContactPoint.id).where(
        ContactPoint.customer_id == customer.id, ContactPoint.channel == channel,
        ContactPoint.active).limit(1))
    opted_out = await session.scalar(
        select(ChannelOptOut.opted_out)
        .where(ChannelOptOut.customer_id == customer.id, ChannelOptOut.channel == channel,
               ChannelOptOut.recorded_at <= at)
        .order_by(ChannelOptOut.recorded_at.desc(), ChannelOptOut.id.desc()).limit(1))
    marketing = purpose is ContactPurpose.MARKETING and await has_consent(
        session, customer_id=customer.id, consent_type=ConsentType.MARKETING, channel=channel)
    return ContactFacts(
        time_zone=customer.time_zone,
        deceased=customer.status is CustomerStatus.DECEASED,
        has_contact_point=point is not None,
        opted_out=bool(opted_out),
        marketing_consent=marketing,
        holds=[HoldFact(h.hold_type, h.starts_at, h.effective_end, h.reason) for h in holds],
        approvals=[(start, end) for start, end in approvals],
        attempts=[AttemptFact(when, how) for when, how in attempts],
    )


async def check_contact(
    session: AsyncSession, *, customer_id: int, channel: ContactChannel,
    purpose: ContactPurpose, at: dt.datetime, actor_kind: ActorKind,
    profile: ContactProfile | None = None,
) -> ContactDecision:
    """May we contact the customer on `channel` for `purpose` at `at` (aware)?

    Read-only. Uses the demo lender's jurisdiction profile unless `profile` is given. A
    refusal lists every reason in plain words and `next_allowed_at` (UTC): the first instant
    from which the contact is allowed, assuming nothing else happens meanwhile, or None when
    only a change of record lifts the block (cease-contact, opt-out, no consent). When
    allowed, `next_allowed_at` is `at`. Raises `NotFoundError` for an unknown customer and
    `ValidationError` for a naive `at`.
    """
    at = _aware(at)
    customer = await load_customer(session, customer_id)
    facts = await contact_facts(session, customer=customer, channel=channel, purpose=purpose,
                                at=at)
    return decide(profile or load_profile(), facts, channel=channel, purpose=purpose,
                  actor_kind=actor_kind, at=at)


def _digest(**values: object) -> str:
    canonical = json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record_contact(
    session: AsyncSession, *, customer_id: int, channel: ContactChannel,
    purpose: ContactPurpose, at: dt.datetime, actor_kind: ActorKind, actor: str,
    idempotency_key: str, loan_id: int | None = None, reference: str | None = None,
    profile: ContactProfile | None = None,
) -> ContactAttempt:
    """Log one outbound contact attempt made at `at` (sent, rung, delivered or not).

    The attempt is logged even when the rules refused it, because it happened: `compliant`
    and `reasons` keep the decision as it stood just before it, and such an attempt is
    audited as `compliance.contact_outside_rules` (otherwise `compliance.contact_recorded`).
    Idempotent by `idempotency_key`: a retry with the same key and details returns the first
    record; the same key with other details raises `IdempotencyConflict`. Attempts for one
    customer are recorded one at a time (the customer row is locked). Raises
    `ValidationError` for an empty key, actor or naive time, `NotFoundError` for an unknown
    customer.
    """
    at = _aware(at)
    key = idempotency_key.strip()
    if not key or len(key) > 200:
        raise ValidationError("A contact needs an idempotency key of 1 to 200 characters.")
    if not actor.strip():
        raise ValidationError("Say who made the contact (the actor).")
    digest = _digest(customer_id=customer_id, channel=channel, purpose=purpose, at=at.isoformat(),
                     actor_kind=actor_kind, loan_id=loan_id, reference=reference)
    customer = await session.scalar(select(Customer).where(Customer.id == customer_id)
                                    .with_for_update(key_share=True))
    if customer is None:
        raise NotFoundError(f"There is no customer with id {customer_id}.")
    earlier = await session.scalar(select(ContactAttempt)
                                   .where(ContactAttempt.idempotency_key == key))
    if earlier is not None:
        if earlier.payload_hash != digest:
            raise IdempotencyConflict(f"The contact key {key!r} was already used for another "
                                      f"contact (attempt {earlier.id}).")
        return earlier
    decision = await check_contact(session, customer_id=customer_id, channel=channel,
                                   purpose=purpose, at=at, actor_kind=actor_kind, profile=profile)
    attempt = ContactAttempt(
        customer_id=customer_id, channel=channel, purpose=purpose, actor_kind=actor_kind,
        actor=actor.strip()[:200], attempted_at=at, loan_id=loan_id, reference=reference,
        idempotency_key=key, payload_hash=digest, compliant=decision.allowed,
        reasons=decision.reasons,
    )
    session.add(attempt)
    await session.flush()
    await trail.record(
        session, actor=attempt.actor,
        action=("compliance.contact_recorded" if decision.allowed
                else "compliance.contact_outside_rules"),
        entity_type="customer", entity_id=customer_id,
        after={"attempt_id": attempt.id, "channel": channel, "purpose": purpose,
               "actor_kind": actor_kind, "at": at, "compliant": decision.allowed,
               "reasons": decision.reasons},
        channel=channel.value,
    )
    return attempt


async def contact_history(
    session: AsyncSession, *, customer_id: int, since: dt.datetime | None = None
) -> list[ContactAttempt]:
    """The customer's logged contact attempts, newest first (from `since` when given)."""
    query = select(ContactAttempt).where(ContactAttempt.customer_id == customer_id)
    if since is not None:
        query = query.where(ContactAttempt.attempted_at >= _aware(since, "`since`"))
    rows = await session.scalars(query.order_by(ContactAttempt.attempted_at.desc(),
                                                ContactAttempt.id.desc()))
    return list(rows)
