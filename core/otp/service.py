"""Issue and verify one-time codes.

- A code is six random digits (`secrets`), returned only to the caller of `issue`, which
  sends it over the channel. The database keeps HMAC-SHA256(secret, purpose, subject, code).
- A code is valid while `now < expires_at` (five minutes by default).
- Issuing a code for a purpose supersedes any earlier code for that purpose.
- Each wrong code uses up a try; the last allowed wrong try locks the code. A locked,
  used or superseded code never verifies: the borrower asks for a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.otp.models import CodeStatus, OneTimeCode

__all__ = ["DEFAULT_MAX_TRIES", "DEFAULT_TTL", "IssuedCode", "Outcome", "Verification",
           "derive_key", "issue", "verify"]

DEFAULT_TTL: Final = dt.timedelta(minutes=5)
DEFAULT_MAX_TRIES: Final = 3
CODE_DIGITS: Final = 6


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE = "no_code"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A fresh code: `code` goes to the borrower over the channel and nowhere else."""

    code: str = field(repr=False)
    purpose: str
    subject: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of checking a code; `tries_left` matters only for WRONG."""

    outcome: Outcome
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def message(self) -> str:
        """What to tell the borrower."""
        if self.outcome is Outcome.OK:
            return "The code is correct."
        if self.outcome is Outcome.WRONG:
            tries = "try" if self.tries_left == 1 else "tries"
            return f"That code is not right; you have {self.tries_left} {tries} left."
        if self.outcome is Outcome.EXPIRED:
            return "That code has expired; please ask for a new one."
        if self.outcome is Outcome.LOCKED:
            return "Too many wrong codes were entered; please ask for a new one."
        return "There is no code waiting to be checked; please ask for a new one."


def derive_key(app_secret: str) -> bytes:
    """The HMAC key for one-time codes, derived from the application's secret key.

    Every caller that issues or verifies codes (API, agent tools) must use this same key.
    """
    if not app_secret:
        raise ValidationError("A one-time code key needs the application's secret key.")
    return hmac.new(app_secret.encode(), b"lendline:one-time-codes", hashlib.sha256).digest()


def _digest(secret: str | bytes, purpose: str, subject: str, code: str) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    message = "\x00".join((purpose, subject, code)).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def _check(*, purpose: str, subject: str, secret: str | bytes, now: dt.datetime) -> None:
    if not purpose.strip() or len(purpose) > 120:
        raise ValidationError("A one-time code needs a purpose of 1 to 120 characters.")
    if not subject.strip() or len(subject) > 120:
        raise ValidationError("A one-time code needs a subject of 1 to 120 characters.")
    if not secret:
        raise ValidationError("A one-time code needs a secret key to hash it with.")
    if now.tzinfo is None:
        raise ValidationError("The time must carry a time zone.")


async def issue(
    session: AsyncSession,
    *,
    purpose: str,
    subject: str,
    secret: str | bytes,
    now: dt.datetime,
    ttl: dt.timedelta = DEFAULT_TTL,
    max_tries: int = DEFAULT_MAX_TRIES,
) -> IssuedCode:
    """Issue a new code for `purpose` (e.g. "agreement:APP-000123") sent to `subject`.

    Supersedes any earlier code for the same purpose. Only the HMAC of the code under
    `secret` is stored; the code is returned here and nowhere else.
    """
    _check(purpose=purpose, subject=subject, secret=secret, now=now)
    if ttl <= dt.timedelta(0):
        raise ValidationError("A one-time code must stay valid for some time.")
    if max_tries < 1:
        raise ValidationError("A one-time code must allow at least one try.")
    await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.purpose == purpose, OneTimeCode.status == CodeStatus.ACTIVE)
        .values(status=CodeStatus.SUPERSEDED, closed_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    record = OneTimeCode(
        purpose=purpose, subject=subject, code_hash=_digest(secret, purpose, subject, code),
        status=CodeStatus.ACTIVE, issued_at=now, expires_at=now + ttl, max_tries=max_tries,
        wrong_tries=0,
    )
    session.add(record)
    await session.flush()
    return IssuedCode(code=code, purpose=purpose, subject=subject, expires_at=record.expires_at)


async def verify(
    session: AsyncSession,
    *,
    purpose: str,
    subject: str,
    code: str,
    secret: str | bytes,
    now: dt.datetime,
) -> Verification:
    """Check `code` against the latest code issued for `purpose` to `subject`.

    OK consumes the code. WRONG uses up a try and says how many are left; the last wrong
    try returns LOCKED. EXPIRED and LOCKED codes are not tried at all, and a code issued
    for the purpose to a different subject counts as NO_CODE.
    """
    _check(purpose=purpose, subject=subject, secret=secret, now=now)
    record = await session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if record is None or record.subject != subject:
        return Verification(Outcome.NO_CODE)
    if record.status is CodeStatus.LOCKED:
        return Verification(Outcome.LOCKED)
    if record.status is not CodeStatus.ACTIVE:
        return Verification(Outcome.NO_CODE)
    if now >= record.expires_at:
        return Verification(Outcome.EXPIRED)
    given = "".join(code.split())
    if hmac.compare_digest(_digest(secret, purpose, subject, given), record.code_hash):
        record.status, record.closed_at = CodeStatus.USED, now
        await session.flush()
        return Verification(Outcome.OK)
    record.wrong_tries += 1
    tries_left = record.max_tries - record.wrong_tries
    if tries_left <= 0:
        record.status, record.closed_at = CodeStatus.LOCKED, now
    await session.flush()
    if tries_left <= 0:
        return Verification(Outcome.LOCKED)
    return Verification(Outcome.WRONG, tries_left=tries_left)
