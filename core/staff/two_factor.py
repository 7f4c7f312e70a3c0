"""Optional two-factor sign-in with time-based one-time codes (TOTP, RFC 6238).

Enrolment is two steps: `start_enrolment` stores a new secret (encrypted) that the staff
member adds to an authenticator app, then `confirm_enrolment` with a code from the app turns
two-factor sign-in on, so nobody ends up locked out by a secret their phone never saw.
A code is accepted within ±30 seconds of its time step, once: a code seen before is refused.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.crypto import FieldCipher
from core.errors import ConflictError, ValidationError
from core.staff.lockout import record_failure
from core.staff.models import StaffUser

ISSUER = "Lendline"
DRIFT_STEPS = 1


def provisioning_uri(secret: str, *, email: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def pending_secret(user: StaffUser, *, cipher: FieldCipher) -> str | None:
    """The secret of an enrolment started but not yet confirmed, or None."""
    if user.totp_secret is None or user.two_factor:
        return None
    return cipher.decrypt(user.totp_secret)


async def start_enrolment(
    session: AsyncSession, *, user: StaffUser, cipher: FieldCipher
) -> str:
    """Store a new secret for `user` (replacing an unconfirmed one) and return it."""
    if user.two_factor:
        raise ConflictError("Two-factor sign-in is already on; turn it off first to re-enrol.")
    secret = pyotp.random_base32()
    user.totp_secret = cipher.encrypt(secret)
    user.totp_last_step = None
    await session.flush()
    return secret


async def confirm_enrolment(
    session: AsyncSession, *, user: StaffUser, code: str, cipher: FieldCipher,
    now: dt.datetime,
) -> None:
    """Turn two-factor sign-in on once `code` matches the pending secret."""
    secret = pending_secret(user, cipher=cipher)
    if secret is None:
        raise ConflictError("Start the set-up again: there is no pending two-factor secret.")
    step = _matching_step(secret, code, now)
    if step is None:
        raise ValidationError("That code does not match. Enter the 6-digit code your "
                              "authenticator app shows now.")
    user.totp_enabled_at = now
    user.totp_last_step = step
    await session.flush()
    await trail.record(session, actor=f"staff:{user.id}", action="staff.two_factor_enabled",
                       entity_type="staff_user", entity_id=user.id)


async def check_code(
    session: AsyncSession, *, user: StaffUser, code: str, cipher: FieldCipher,
    now: dt.datetime,
) -> bool:
    """Whether `code` is a fresh, valid code for `user`. A wrong one counts as a failed sign-in
    (five lock the account); a right one cannot be used again."""
    if user.totp_secret is None or not user.two_factor:
        return False
    step = _matching_step(cipher.decrypt(user.totp_secret), code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        await record_failure(session, user, now=now, what="two-factor code")
        return False
    user.totp_last_step = step
    await session.flush()
    return True


async def turn_off(session: AsyncSession, *, user: StaffUser, actor: str) -> None:
    """Remove the secret: the user signs in with the password alone until they enrol again."""
    was_on = user.two_factor
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    await session.flush()
    if was_on:
        await trail.record(session, actor=actor, action="staff.two_factor_disabled",
                           entity_type="staff_user", entity_id=user.id)


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return current + offset
    return None
