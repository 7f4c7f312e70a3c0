"""Place and release contact holds, record channel opt-outs, and approve contact with a
vulnerable borrower. What each changes is decided in `core.compliance.decision`.

Anyone acting for the lender (staff, or the agent when a borrower asks us to stop) may
place a hold or record an opt-out: both only ever protect the borrower. Releasing a hold
and approving contact with a vulnerable borrower need a supervisor or an admin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.compliance.models import ChannelOptOut, ContactApproval, ContactHold, HoldType
from core.customers.models import ContactChannel
from core.customers.repository import load_customer
from core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from core.staff.models import Role, StaffUser

SUPERVISORS: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
MAX_APPROVAL: Final = dt.timedelta(days=7)


def _aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"{what} needs a time zone (e.g. UTC).")
    return moment.astimezone(dt.UTC)


def _text(value: str, what: str, limit: int = 500) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"Give {what}.")
    if len(cleaned) > limit:
        raise ValidationError(f"Keep {what} to {limit} characters.")
    return cleaned


async def _supervisor(session: AsyncSession, staff_id: int, doing: str) -> StaffUser:
    staff = await session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFoundError(f"There is no staff user {staff_id}.")
    if not staff.active or staff.role not in SUPERVISORS:
        raise PermissionDenied(f"Only an active supervisor or admin may {doing}.")
    return staff


def _hold_view(hold: ContactHold) -> dict[str, object]:
    return {"hold_id": hold.id, "type": hold.hold_type, "starts_at": hold.starts_at,
            "ends_at": hold.ends_at, "reason": hold.reason, "released_at": hold.released_at}


async def place_hold(
    session: AsyncSession, *, customer_id: int, hold_type: HoldType, reason: str, actor: str,
    starts_at: dt.datetime, ends_at: dt.datetime | None = None,
) -> ContactHold:
    """Restrict contact with a customer from `starts_at`, until `ends_at` or release.

    Refused, changing nothing: an empty reason or actor, a naive time, an end not after the
    start (`ValidationError`); an unknown customer (`NotFoundError`); a hold of the same
    type that is open or would overlap (`ConflictError`: change that one instead).
    """
    reason, actor = _text(reason, "the reason for the hold"), _text(actor, "the actor", 200)
    starts_at = _aware(starts_at, "The start of a hold")
    ends_at = _aware(ends_at, "The end of a hold") if ends_at is not None else None
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError("A hold must end after it starts.")
    await load_customer(session, customer_id)
    overlapping = await session.scalar(select(ContactHold).where(
        ContactHold.customer_id == customer_id, ContactHold.hold_type == hold_type,
        or_(ContactHold.ends_at.is_(None), ContactHold.ends_at > starts_at),
        or_(ContactHold.released_at.is_(None), ContactHold.released_at > starts_at),
        *([ContactHold.starts_at < ends_at] if ends_at is not None else []),
    ).limit(1))
    if overlapping is not None:
        raise ConflictError(f"The customer already has a {hold_type.value.replace('_', '-')} "
                            f"hold (hold {overlapping.id}) over that time.")
    hold = ContactHold(customer_id=customer_id, hold_type=hold_type, starts_at=starts_at,
                       ends_at=ends_at, reason=reason, placed_by=actor)
    session.add(hold)
    await session.flush()
    await trail.record(session, actor=actor, action="compliance.hold_placed",
                       entity_type="customer", entity_id=customer_id, after=_hold_view(hold))
    return hold


async def release_hold(
    session: AsyncSession, *, hold_id: int, staff_id: int, reason: str, now: dt.datetime
) -> ContactHold:
    """Lift a hold at `now` (a supervisor or admin, with a reason).

    Refused, changing nothing: `PermissionDenied` for other roles or inactive staff,
    `NotFoundError` for an unknown hold or staff user, `ConflictError` for a hold already
    released or ended, `ValidationError` for an empty reason or naive time.
    """
    reason = _text(reason, "the reason for releasing the hold")
    now = _aware(now, "The time of a release")
    staff = await _supervisor(session, staff_id, "release a contact hold")
    hold = await session.get(ContactHold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFoundError(f"There is no contact hold {hold_id}.")
    end = hold.effective_end
    if end is not None and end <= now:
        raise ConflictError(f"Hold {hold_id} already stopped applying at {end:%Y-%m-%d %H:%M} "
                            "UTC.")
    before = _hold_view(hold)
    hold.released_at, hold.released_by, hold.release_reason = now, f"staff:{staff.id}", reason
    await session.flush()
    await trail.record(session, actor=f"staff:{staff.id}", action="compliance.hold_released",
                       entity_type="customer", entity_id=hold.customer_id, before=before,
                       after={**_hold_view(hold), "release_reason": reason})
    return hold


async def list_holds(
    session: AsyncSession, *, customer_id: int, active_at: dt.datetime | None = None
) -> Sequence[ContactHold]:
    """The customer's holds, oldest first; only those applying at `active_at` when given."""
    query = select(ContactHold).where(ContactHold.customer_id == customer_id)
    if active_at is not None:
        at = _aware(active_at, "`active_at`")
        query = query.where(
            ContactHold.starts_at <= at,
            or_(ContactHold.ends_at.is_(None), ContactHold.ends_at > at),
            or_(ContactHold.released_at.is_(None), ContactHold.released_at > at))
    return (await session.scalars(query.order_by(ContactHold.starts_at, ContactHold.id))).all()


async def set_opt_out(
    session: AsyncSession, *, customer_id: int, channel: ContactChannel, opted_out: bool,
    now: dt.datetime, source: str, actor: str,
) -> ChannelOptOut:
    """Record that the customer opted out of (or back into) contact on `channel` at `now`.

    A new row each time; the latest at or before a moment decides. `source` says how we
    heard it ("replied STOP by SMS"). Raises `ValidationError` for an empty source or actor
    or a naive time, `NotFoundError` for an unknown customer.
    """
    source, actor = _text(source, "the source", 200), _text(actor, "the actor", 200)
    now = _aware(now, "The time of an opt-out")
    await load_customer(session, customer_id)
    row = ChannelOptOut(customer_id=customer_id, channel=channel, opted_out=opted_out,
                        recorded_at=now, source=source, actor=actor)
    session.add(row)
    await session.flush()
    await trail.record(session, actor=actor,
                       action="compliance.opted_out" if opted_out else "compliance.opted_in",
                       entity_type="customer", entity_id=customer_id,
                       after={"channel": channel, "source": source, "at": now})
    return row


async def approve_contact(
    session: AsyncSession, *, customer_id: int, staff_id: int, reason: str,
    now: dt.datetime, valid_until: dt.datetime,
) -> ContactApproval:
    """A supervisor's approval for people (never automation) to contact a customer under a
    vulnerability hold, from `now` until `valid_until` (at most 7 days).

    Refused, changing nothing: `PermissionDenied` unless an active supervisor or admin;
    `ConflictError` when no vulnerability hold applies at `now`; `ValidationError` for an
    empty reason, a naive time or a window that is empty or longer than 7 days.
    """
    reason = _text(reason, "the reason for the approval")
    now, valid_until = _aware(now, "The approval time"), _aware(valid_until, "`valid_until`")
    if not now < valid_until <= now + MAX_APPROVAL:
        raise ValidationError("An approval runs from now for up to 7 days; choose an end "
                              "within that.")
    staff = await _supervisor(session, staff_id, "approve contact with a vulnerable borrower")
    await load_customer(session, customer_id)
    vulnerable = await list_holds(session, customer_id=customer_id, active_at=now)
    if not any(h.hold_type is HoldType.VULNERABILITY for h in vulnerable):
        raise ConflictError("The customer has no vulnerability hold; contact needs no approval.")
    approval = ContactApproval(customer_id=customer_id, approved_by_staff_id=staff.id,
                               valid_from=now, valid_until=valid_until, reason=reason)
    session.add(approval)
    await session.flush()
    await trail.record(session, actor=f"staff:{staff.id}", action="compliance.contact_approved",
                       entity_type="customer", entity_id=customer_id,
                       after={"approval_id": approval.id, "valid_from": now,
                              "valid_until": valid_until, "reason": reason})
    return approval
