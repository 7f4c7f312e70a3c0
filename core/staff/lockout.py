"""The sign-in lock: five failures in a row lock an account for thirty minutes.

A wrong password and a wrong two-factor code both count, and the count is cleared only by a
complete sign-in: someone who knows the password cannot keep guessing codes by signing in
with the password again between guesses.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.staff.models import StaffUser

LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=30)
ANONYMOUS = "anonymous"


async def record_failure(
    session: AsyncSession, user: StaffUser, *, now: dt.datetime, what: str
) -> None:
    """Count one failed sign-in step (`what`: "password" or "two-factor code"), locking the
    account on the fifth in a row; both are audited."""
    user.failed_logins += 1
    attempts = user.failed_logins
    locks = attempts >= LOCK_AFTER
    if locks:
        user.locked_until = now + LOCK_FOR
        user.failed_logins = 0
    await session.flush()
    await trail.record(session, actor=ANONYMOUS, action="staff.sign_in_failed",
                       entity_type="staff_user", entity_id=user.id,
                       after={"wrong": what, "attempt": attempts})
    if locks:
        await trail.record(session, actor="system", action="staff.locked",
                           entity_type="staff_user", entity_id=user.id,
                           after={"until": user.locked_until, "failed_attempts": attempts})


async def record_sign_in(session: AsyncSession, user: StaffUser, *, now: dt.datetime) -> None:
    """A complete sign-in (password and, when on, the second factor): the count starts over."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    await session.flush()
    await trail.record(session, actor=f"staff:{user.id}", action="staff.signed_in",
                       entity_type="staff_user", entity_id=user.id,
                       after={"two_factor": user.two_factor})


async def unlock(session: AsyncSession, user: StaffUser, *, actor: str) -> None:
    """Lift a lock before it runs out (an admin's decision, audited)."""
    before = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
    user.locked_until = None
    user.failed_logins = 0
    await session.flush()
    await trail.record(session, actor=actor, action="staff.unlocked", entity_type="staff_user",
                       entity_id=user.id, before=before)
