"""The Account page: one's own password, two-factor sign-in, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.auth import CurrentPrincipal, Principal, require, utcnow
from admin.console.login import clear_session_cookie
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.permissions import ROLE_PERMISSIONS
from admin.permissions import Permission as P
from core.errors import DomainError, ValidationError
from core.staff import sessions, two_factor
from core.staff.passwords import verify_password
from core.staff.service import change_password

router = APIRouter(prefix="/console/account", include_in_schema=False,
                   dependencies=[Depends(require(P.ACCOUNT))])

NOTICES = {
    "password": "Your password is changed; your other sessions have ended.",
    "two-factor-on": "Two-factor sign-in is on. You will need your app's code to sign in.",
    "two-factor-off": "Two-factor sign-in is off.",
    "revoked": "The session has ended.",
    "others": "All your other sessions and API tokens have ended.",
}


async def _page(request: Request, session: SessionDep, principal: Principal, *,
                status_code: int = 200, **extra: Any) -> Response:
    staff = principal.staff
    active = await sessions.active_sessions(session, staff_id=staff.id, now=utcnow())
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return render(request, "account.html", {
        "sessions": active, "current_session_id": principal.session.id, "notice": notice,
        "permissions": sorted(ROLE_PERMISSIONS[staff.role]), "new_token": None,
        "two_factor_pending": staff.totp_secret is not None and not staff.two_factor,
        **extra,
    }, status_code=status_code)


def _back(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/console/account?notice={notice}", status_code=303)


@router.get("")
async def account(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return await _page(request, session, principal)


@router.post("/password")
async def password(
    request: Request, session: SessionDep, principal: CurrentPrincipal,
    current: Annotated[str, Form(max_length=200)], new: Annotated[str, Form(max_length=200)],
    repeat: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        if new != repeat:
            raise ValidationError("The two new passwords differ.")
        await change_password(session, user=principal.staff, current=current, new=new,
                              now=utcnow(), keep_session=principal.session.id)
    except DomainError as error:
        return await _page(request, session, principal, password_error=error.message,
                           status_code=422)
    return _back("password")


@router.post("/two-factor/start")
async def start_two_factor(request: Request, session: SessionDep,
                           principal: CurrentPrincipal) -> Response:
    await two_factor.start_enrolment(session, user=principal.staff,
                                     cipher=request.app.state.field_cipher)
    return RedirectResponse("/console/account/two-factor", status_code=303)


def _enrolment(request: Request, principal: Principal, *, error: str | None = None,
               status_code: int = 200) -> Response:
    secret = two_factor.pending_secret(principal.staff, cipher=request.app.state.field_cipher)
    if secret is None:
        return RedirectResponse("/console/account", status_code=303)
    uri = two_factor.provisioning_uri(secret, email=principal.staff.email,
                                      issuer=f"Lendline ({request.app.state.settings.lender_name})")
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    spaced = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "two_factor_enrol.html", {"qr": qr, "secret": spaced,
                                                     "error": error}, status_code=status_code)


@router.get("/two-factor")
async def enrolment(request: Request, principal: CurrentPrincipal) -> Response:
    return _enrolment(request, principal)


@router.post("/two-factor/confirm")
async def confirm_two_factor(request: Request, session: SessionDep, principal: CurrentPrincipal,
                             code: Annotated[str, Form(max_length=20)]) -> Response:
    try:
        await two_factor.confirm_enrolment(session, user=principal.staff, code=code,
                                           cipher=request.app.state.field_cipher, now=utcnow())
    except ValidationError as error:
        return _enrolment(request, principal, error=error.message, status_code=422)
    return _back("two-factor-on")


@router.post("/two-factor/off")
async def two_factor_off(request: Request, session: SessionDep, principal: CurrentPrincipal,
                         password: Annotated[str, Form(max_length=200)]) -> Response:
    if not verify_password(password, principal.staff.password_hash):
        return await _page(request, session, principal, status_code=422,
                           two_factor_error="The password is not right.")
    await two_factor.turn_off(session, user=principal.staff,
                              actor=f"staff:{principal.staff.id}")
    return _back("two-factor-off")


@router.post("/tokens")
async def new_token(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    label: Annotated[str, Form(max_length=200)],
                    days: Annotated[int, Form(ge=1, le=365)] = 90) -> Response:
    try:
        issued = await sessions.issue_api_token(
            session, user=principal.staff, label=label, now=utcnow(),
            actor=f"staff:{principal.staff.id}", lifetime=dt.timedelta(days=days))
    except ValidationError as error:
        return await _page(request, session, principal, token_error=error.message,
                           status_code=422)
    return await _page(request, session, principal, new_token=issued.token)


@router.post("/sessions/{session_id}/revoke")
async def revoke(session_id: int, session: SessionDep, principal: CurrentPrincipal) -> Response:
    await sessions.revoke_session(session, staff_id=principal.staff.id, session_id=session_id,
                                  now=utcnow(), actor=f"staff:{principal.staff.id}")
    if session_id == principal.session.id:
        response = RedirectResponse("/console/login", status_code=303)
        clear_session_cookie(response)
        return response
    return _back("revoked")


@router.post("/sessions/revoke-others")
async def revoke_others(session: SessionDep, principal: CurrentPrincipal) -> Response:
    await sessions.revoke_all(session, staff_id=principal.staff.id, now=utcnow(),
                              actor=f"staff:{principal.staff.id}", reason="signed out elsewhere",
                              keep=principal.session.id)
    return _back("others")
