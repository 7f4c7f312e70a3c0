"""Staff management for admins: add staff, change role or active state, reset a password,
unlock, reset two-factor sign-in, sign out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.auth import CurrentPrincipal, require, utcnow
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.errors import DomainError, ValidationError
from core.staff import sessions, two_factor
from core.staff.models import Role
from core.staff.service import (
    create_staff,
    get_staff,
    list_staff,
    reset_password,
    unlock_staff,
    update_staff,
)

router = APIRouter(prefix="/console/staff", include_in_schema=False,
                   dependencies=[Depends(require(P.STAFF_MANAGE))])

NOTICES = {
    "created": "The staff member is added. Give them their temporary password in person; "
               "they change it on their Account page.",
    "updated": "The staff member is updated.",
    "unlocked": "The account is unlocked.",
    "two-factor": "Two-factor sign-in is reset; they can set it up again after signing in.",
    "signed-out": "All their sessions and API tokens have ended.",
    "password": "Their password is reset and their sessions have ended. Give them the new "
                "password in person; they change it on their Account page.",
}


async def _page(request: Request, session: SessionDep, *, status_code: int = 200,
                **extra: Any) -> Response:
    return render(request, "staff.html", {
        "people": await list_staff(session), "roles": list(Role), "now": utcnow(),
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "form": {}, **extra,
    }, status_code=status_code)


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/console/staff?notice={notice}", status_code=303)


@router.get("")
async def staff_list(request: Request, session: SessionDep) -> Response:
    return await _page(request, session)


@router.post("")
async def add(
    request: Request, session: SessionDep, principal: CurrentPrincipal,
    email: Annotated[str, Form(max_length=200)], name: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()], password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        await create_staff(session, email=email, name=name, role=role, password=password,
                           actor=f"staff:{principal.staff.id}")
    except DomainError as error:
        return await _page(request, session, status_code=422, error=error.message,
                           form={"email": email, "name": name, "role": role.value})
    return _done("created")


@router.post("/{staff_id}")
async def change(
    staff_id: int, session: SessionDep, principal: CurrentPrincipal,
    role: Annotated[Role, Form()], active: Annotated[bool, Form()] = False,
) -> Response:
    await update_staff(session, staff_id=staff_id, role=role, active=active, now=utcnow(),
                       actor=f"staff:{principal.staff.id}")
    return _done("updated")


@router.post("/{staff_id}/password")
async def new_password(request: Request, staff_id: int, session: SessionDep,
                       principal: CurrentPrincipal,
                       password: Annotated[str, Form(max_length=200)]) -> Response:
    try:
        await reset_password(session, staff_id=staff_id, password=password, now=utcnow(),
                             actor=f"staff:{principal.staff.id}")
    except ValidationError as error:
        return await _page(request, session, status_code=422, error=error.message)
    return _done("password")


@router.post("/{staff_id}/unlock")
async def unlock(staff_id: int, session: SessionDep, principal: CurrentPrincipal) -> Response:
    await unlock_staff(session, staff_id=staff_id, actor=f"staff:{principal.staff.id}")
    return _done("unlocked")


@router.post("/{staff_id}/two-factor/reset")
async def reset_two_factor(staff_id: int, session: SessionDep,
                           principal: CurrentPrincipal) -> Response:
    user = await get_staff(session, staff_id)
    await two_factor.turn_off(session, user=user, actor=f"staff:{principal.staff.id}")
    return _done("two-factor")


@router.post("/{staff_id}/sessions/revoke")
async def sign_out_everywhere(staff_id: int, session: SessionDep,
                              principal: CurrentPrincipal) -> Response:
    await get_staff(session, staff_id)
    await sessions.revoke_all(session, staff_id=staff_id, now=utcnow(),
                              actor=f"staff:{principal.staff.id}", reason="signed out by an admin")
    return _done("signed-out")
