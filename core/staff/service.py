"""Staff accounts: create, sign in (with the lock), change password, role and active state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.staff import lockout, sessions
from core.staff.models import Role, StaffUser
from core.staff.passwords import (
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    spend_a_check,
    verify_password,
)

MAX_LENGTH = 200


def _checked_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"A staff password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"A staff password can have at most {MAX_LENGTH} characters.")
    return password


async def create_staff(
    session: AsyncSession, *, email: str, name: str, role: Role, password: str, actor: str
) -> StaffUser:
    """Add a staff user. Emails are unique (case-insensitive); passwords need 10+ characters."""
    email = email.strip().lower()
    name = name.strip()
    if "@" not in email or len(email) > 200:
        raise ValidationError(f"{email!r} is not an email address.")
    if not name:
        raise ValidationError("A staff user needs a name.")
    _checked_password(password)
    taken = await session.scalar(select(func.count()).where(StaffUser.email == email))
    if taken:
        raise ConflictError(f"A staff user with email {email} already exists.")
    user = StaffUser(email=email, name=name, role=role, password_hash=hash_password(password),
                     failed_logins=0)
    session.add(user)
    await session.flush()
    await trail.record(
        session,
        actor=actor,
        action="staff.created",
        entity_type="staff_user",
        entity_id=user.id,
        after={"email": email, "name": name, "role": role.value},
    )
    return user


async def get_staff(session: AsyncSession, staff_id: int) -> StaffUser:
    user = await session.get(StaffUser, staff_id)
    if user is None:
        raise NotFoundError(f"There is no staff user {staff_id}.")
    return user


async def list_staff(session: AsyncSession) -> list[StaffUser]:
    """Every staff user, active first, then by name."""
    return list(await session.scalars(
        select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)))


async def authenticate(
    session: AsyncSession, *, email: str, password: str, now: dt.datetime | None = None
) -> StaffUser | None:
    """The active, unlocked staff user with these credentials, or None.

    A wrong password counts towards the lock (five in a row lock the account for 30
    minutes); while locked even the right password is refused. Every refusal is audited, so
    the caller must commit after a None as well. Success does not clear the count: the
    sign-in is complete only after the second factor (`sessions.open_browser_session`).
    """
    now = now or dt.datetime.now(dt.UTC)
    email = email.strip().lower()
    user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None or not user.active or user.locked(now):
        spend_a_check(password)
        reason = "unknown email" if user is None else ("inactive" if not user.active
                                                      else "locked")
        await trail.record(session, actor=lockout.ANONYMOUS, action="staff.sign_in_refused",
                           entity_type="staff_user",
                           entity_id=user.id if user is not None else "unknown",
                           after={"email": email[:200], "reason": reason})
        return None
    if not verify_password(password, user.password_hash):
        await lockout.record_failure(session, user, now=now, what="password")
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await session.flush()
    return user


async def change_password(
    session: AsyncSession, *, user: StaffUser, current: str, new: str, now: dt.datetime,
    keep_session: int | None = None,
) -> None:
    """Change one's own password (the current one must be right); every other session and
    API token of the user ends."""
    if not verify_password(current, user.password_hash):
        raise ValidationError("The current password is not right.")
    if new == current:
        raise ValidationError("The new password must differ from the current one.")
    user.password_hash = hash_password(_checked_password(new))
    await session.flush()
    actor = f"staff:{user.id}"
    await trail.record(session, actor=actor, action="staff.password_changed",
                       entity_type="staff_user", entity_id=user.id)
    await sessions.revoke_all(session, staff_id=user.id, now=now, actor=actor,
                              reason="password changed", keep=keep_session)


async def reset_password(
    session: AsyncSession, *, staff_id: int, password: str, now: dt.datetime, actor: str
) -> StaffUser:
    """Give a user a new temporary password (they forgot theirs): the sign-in lock is lifted
    and every session and API token of theirs ends."""
    user = await get_staff(session, staff_id)
    user.password_hash = hash_password(_checked_password(password))
    user.failed_logins, user.locked_until = 0, None
    await session.flush()
    await trail.record(session, actor=actor, action="staff.password_reset",
                       entity_type="staff_user", entity_id=user.id)
    await sessions.revoke_all(session, staff_id=user.id, now=now, actor=actor,
                              reason="password reset")
    return user


async def update_staff(
    session: AsyncSession, *, staff_id: int, role: Role, active: bool, now: dt.datetime,
    actor: str,
) -> StaffUser:
    """Change a user's role or active state. Deactivating ends their sessions; the last
    active admin can be neither demoted nor deactivated."""
    user = await get_staff(session, staff_id)
    before = {"role": user.role, "active": user.active}
    if user.role is Role.ADMIN and user.active and (role is not Role.ADMIN or not active):
        others = await session.scalar(select(func.count()).select_from(StaffUser).where(
            StaffUser.role == Role.ADMIN, StaffUser.active, StaffUser.id != user.id))
        if not others:
            raise ConflictError(f"{user.name} is the last active admin; make someone else an "
                                "admin first.")
    user.role, user.active = role, active
    await session.flush()
    after = {"role": role, "active": active}
    if after != before:
        await trail.record(session, actor=actor, action="staff.updated",
                           entity_type="staff_user", entity_id=user.id, before=before,
                           after=after)
    if not active:
        await sessions.revoke_all(session, staff_id=user.id, now=now, actor=actor,
                                  reason="deactivated")
    return user


async def unlock_staff(session: AsyncSession, *, staff_id: int, actor: str) -> StaffUser:
    """Lift a sign-in lock before its 30 minutes are up."""
    user = await get_staff(session, staff_id)
    await lockout.unlock(session, user, actor=actor)
    return user
