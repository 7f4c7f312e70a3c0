"""Create staff users and check their passwords (scrypt, constant-time comparison)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, ValidationError
from core.staff.models import Role, StaffUser

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=_N, r=_R, p=_P)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


async def create_staff(
    session: AsyncSession, *, email: str, name: str, role: Role, password: str, actor: str
) -> StaffUser:
    """Add a staff user. Emails are unique (case-insensitive); passwords need 10+ characters."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationError(f"{email!r} is not an email address.")
    if len(password) < 10:
        raise ValidationError("A staff password needs at least 10 characters.")
    taken = await session.scalar(select(func.count()).where(StaffUser.email == email))
    if taken:
        raise ConflictError(f"A staff user with email {email} already exists.")
    user = StaffUser(email=email, name=name, role=role, password_hash=hash_password(password))
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


async def authenticate(session: AsyncSession, *, email: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None."""
    user = await session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return user
