"""The caller's own account over the API: who am I, what may I do, my sessions and tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from admin.auth import CurrentPrincipal, require, utcnow
from admin.deps import SessionDep
from admin.permissions import ROLE_PERMISSIONS, Permission
from core.staff import sessions
from core.staff.models import StaffSession

router = APIRouter(prefix="/me", tags=["account"],
                   dependencies=[Depends(require(Permission.ACCOUNT))])


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    role_label: str
    two_factor: bool
    permissions: list[str]


class SessionOut(BaseModel):
    id: int
    kind: str
    label: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    ip: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def of(cls, row: StaffSession, current_id: int) -> SessionOut:
        return cls(id=row.id, kind=row.kind.value, label=row.label, created_at=row.created_at,
                   last_seen_at=row.last_seen_at, expires_at=row.expires_at, ip=row.ip,
                   user_agent=row.user_agent, current=row.id == current_id)


@router.get("")
async def me(principal: CurrentPrincipal) -> MeOut:
    """The signed-in staff member, their role and every permission it holds."""
    staff = principal.staff
    return MeOut(id=staff.id, email=staff.email, name=staff.name, role=staff.role.value,
                 role_label=staff.role.label, two_factor=staff.two_factor,
                 permissions=sorted(p.value for p in ROLE_PERMISSIONS[staff.role]))


@router.get("/sessions")
async def my_sessions(session: SessionDep, principal: CurrentPrincipal) -> list[SessionOut]:
    """The caller's live browser sessions and API tokens, most recently used first."""
    rows = await sessions.active_sessions(session, staff_id=principal.staff.id, now=utcnow())
    return [SessionOut.of(row, principal.session.id) for row in rows]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_session(
    session_id: int, session: SessionDep, principal: CurrentPrincipal,
) -> None:
    """End one of the caller's sessions or revoke one of their API tokens."""
    await sessions.revoke_session(session, staff_id=principal.staff.id, session_id=session_id,
                                  now=utcnow(), actor=f"staff:{principal.staff.id}")

