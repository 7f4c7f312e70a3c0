"""Staff sessions: browser sign-ins and personal API tokens, listed and revoked by their owner.

A browser session ends after 30 minutes without a request or 12 hours after sign-in,
whichever comes first; a session waiting for its second factor lasts 5 minutes and opens
nothing else. An API token lasts 90 days unless revoked. A token is 256 random bits; only its
SHA-256 is stored. Deactivating a staff user ends all their sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import NotFoundError, ValidationError
from core.staff.lockout import record_sign_in
from core.staff.models import SessionKind, StaffSession, StaffUser

BROWSER_IDLE = dt.timedelta(minutes=30)
BROWSER_LIFETIME = dt.timedelta(hours=12)
SECOND_FACTOR_WINDOW = dt.timedelta(minutes=5)
TOKEN_LIFETIME = dt.timedelta(days=90)
TOUCH_EVERY = dt.timedelta(minutes=1)
TOKEN_PREFIX = "llt_"
"""Personal API tokens start with this, so secret scanners and people recognise a leaked one."""


@dataclass(frozen=True)
class Issued:
    """A new session and its token: the token is shown once and never stored."""

    session: StaffSession
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_browser_session(
    session: AsyncSession, *, user: StaffUser, now: dt.datetime, ip: str | None = None,
    user_agent: str | None = None, second_factor_pending: bool = False,
) -> Issued:
    """Start a browser session for a user whose password was just accepted.

    With `second_factor_pending` the session only lets its holder enter a two-factor code
    (`complete_second_factor`); otherwise the sign-in is complete and audited.
    """
    lifetime = SECOND_FACTOR_WINDOW if second_factor_pending else BROWSER_LIFETIME
    issued = await _issue(session, user=user, kind=SessionKind.BROWSER, now=now,
                          expires_at=now + lifetime, ip=ip, user_agent=user_agent,
                          csrf_token=secrets.token_urlsafe(32),
                          second_factor_pending=second_factor_pending)
    if not second_factor_pending:
        await record_sign_in(session, user, now=now)
    return issued


async def complete_second_factor(
    session: AsyncSession, *, pending: StaffSession, user: StaffUser, now: dt.datetime
) -> Issued:
    """Replace a session that waited for its second factor by a full one with a new token."""
    pending.revoked_at = now
    return await open_browser_session(session, user=user, now=now, ip=pending.ip,
                                      user_agent=pending.user_agent)


async def issue_api_token(
    session: AsyncSession, *, user: StaffUser, label: str, now: dt.datetime, actor: str,
    lifetime: dt.timedelta = TOKEN_LIFETIME,
) -> Issued:
    """A personal API token for `user`, sent as `Authorization: Bearer <token>`."""
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise ValidationError("Name the token (up to 100 characters), e.g. 'reporting script'.")
    issued = await _issue(session, user=user, kind=SessionKind.API_TOKEN, now=now,
                          expires_at=now + lifetime, label=label, token_prefix=TOKEN_PREFIX)
    await trail.record(session, actor=actor, action="staff.api_token_created",
                       entity_type="staff_session", entity_id=issued.session.id,
                       after={"staff_id": user.id, "label": label,
                              "expires_at": issued.session.expires_at})
    return issued


async def resolve(
    session: AsyncSession, *, token: str, now: dt.datetime
) -> tuple[StaffSession, StaffUser] | None:
    """The live session holding `token` and its active user, or None.

    Marks the session as seen (at most once a minute, to keep requests read-only).
    """
    row = (await session.execute(
        select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_hash(token))
    )).one_or_none()
    if row is None:
        return None
    found, user = row
    if not user.active or not _live(found, now):
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
        await session.flush()
    return found, user


async def active_sessions(
    session: AsyncSession, *, staff_id: int, now: dt.datetime
) -> list[StaffSession]:
    """A user's live sessions and API tokens, most recently used first."""
    rows = await session.scalars(
        select(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None),
               StaffSession.second_factor_pending.is_(False), StaffSession.expires_at > now)
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
    )
    return [row for row in rows if _live(row, now)]


async def sign_out(session: AsyncSession, *, ended: StaffSession, now: dt.datetime) -> None:
    """End the caller's own session."""
    ended.revoked_at = now
    await session.flush()
    await trail.record(session, actor=f"staff:{ended.staff_id}", action="staff.signed_out",
                       entity_type="staff_session", entity_id=ended.id)


async def revoke_session(
    session: AsyncSession, *, staff_id: int, session_id: int, now: dt.datetime, actor: str
) -> StaffSession:
    """Revoke one of `staff_id`'s sessions or tokens (another user's is "not found")."""
    found = await session.get(StaffSession, session_id)
    if found is None or found.staff_id != staff_id:
        raise NotFoundError("There is no such session.")
    if found.revoked_at is None:
        found.revoked_at = now
        await session.flush()
        await trail.record(session, actor=actor, action="staff.session_revoked",
                           entity_type="staff_session", entity_id=found.id,
                           after={"staff_id": staff_id, "kind": found.kind})
    return found


async def revoke_all(
    session: AsyncSession, *, staff_id: int, now: dt.datetime, actor: str, reason: str,
    keep: int | None = None,
) -> int:
    """Revoke every session and token of a user but `keep`; returns how many ended."""
    statement = (update(StaffSession)
                 .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
                 .values(revoked_at=now).returning(StaffSession.id))
    if keep is not None:
        statement = statement.where(StaffSession.id != keep)
    ended = list(await session.scalars(statement))
    if ended:
        await trail.record(session, actor=actor, action="staff.sessions_revoked",
                           entity_type="staff_user", entity_id=staff_id,
                           after={"sessions": sorted(ended), "reason": reason})
    return len(ended)


def _live(row: StaffSession, now: dt.datetime) -> bool:
    if row.revoked_at is not None or row.expires_at <= now:
        return False
    idle = row.kind is SessionKind.BROWSER and row.last_seen_at + BROWSER_IDLE <= now
    return not idle


async def _issue(
    session: AsyncSession, *, user: StaffUser, kind: SessionKind, now: dt.datetime,
    expires_at: dt.datetime, ip: str | None = None, user_agent: str | None = None,
    label: str | None = None, csrf_token: str | None = None,
    second_factor_pending: bool = False, token_prefix: str = "",
) -> Issued:
    token = token_prefix + secrets.token_urlsafe(32)
    row = StaffSession(
        staff_id=user.id, kind=kind, token_hash=token_hash(token), csrf_token=csrf_token,
        label=label, second_factor_pending=second_factor_pending, last_seen_at=now,
        expires_at=expires_at, ip=ip, user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    await session.flush()
    return Issued(row, token)
