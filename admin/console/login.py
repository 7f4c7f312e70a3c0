"""Signing in and out of the console: password, then the two-factor code when it is on.

The sign-in form is protected from cross-site posting by a double-submit token: the page
sets it in a `__Host-` cookie and in a hidden field, and the post must carry both. A new
session token is issued after the password and again after the code, so a token seen before
sign-in is worth nothing after it.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.auth import (
    SESSION_COOKIE,
    CurrentPrincipal,
    check_csrf,
    identify,
    origin_of,
    require,
    utcnow,
)
from admin.console.rendering import navigation, render
from admin.deps import SessionDep
from admin.permissions import Permission
from core.staff import sessions, two_factor
from core.staff.models import SessionKind, StaffSession, StaffUser
from core.staff.service import authenticate

router = APIRouter(prefix="/console", include_in_schema=False)

LOGIN_COOKIE = "__Host-lendline-login"
FAILED = ("Sign-in failed: the email or password is wrong, or the account is locked for 30 "
          "minutes after 5 failed attempts.")
WRONG_CODE = "That code is not right. After 5 failed attempts the account is locked."
NO_COOKIE = ("Your browser did not keep the sign-in cookie. Allow cookies for this site, and "
             "open the console over HTTPS (or on localhost); then sign in again.")
SignedIn = Depends(require(Permission.ACCOUNT))


def safe_next(target: str | None) -> str:
    """`target` if it is a console or API-docs path on this site, else the console's home."""
    if (target and target.startswith(("/console", "/docs")) and not target.startswith("//")
            and "\\" not in target and not target.startswith("/console/login")):
        return target
    return "/console"


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", secure=True, httponly=True,
                        samesite="lax")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True,
                           samesite="lax")


def _login_page(request: Request, *, next_url: str, error: str | None = None,
                email: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {
        "csrf_token": token, "next_url": next_url, "error": error, "email": email,
    }, status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, token, path="/", max_age=3600, secure=True,
                        httponly=True, samesite="strict")
    return response


async def _pending(request: Request, session: SessionDep) -> tuple[StaffSession, StaffUser] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await sessions.resolve(session, token=cookie, now=utcnow()) if cookie else None
    if found is None or found[0].kind is not SessionKind.BROWSER:
        return None
    return found if found[0].second_factor_pending else None


@router.get("", dependencies=[SignedIn])
async def home(request: Request, principal: CurrentPrincipal) -> RedirectResponse:
    """The first section the staff member may use."""
    entries = [item["href"] for item in navigation(request, principal)]
    return RedirectResponse(entries[0] if entries else "/console/account", status_code=303)


@router.get("/login")
async def login_form(request: Request, session: SessionDep, next: str | None = None) -> Response:
    if await identify(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
async def login(
    request: Request, session: SessionDep, email: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)], csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console",
) -> Response:
    if LOGIN_COOKIE not in request.cookies:
        return _login_page(request, next_url=safe_next(next), error=NO_COOKIE, email=email,
                           status_code=403)
    await check_csrf(request, request.cookies[LOGIN_COOKIE])
    now = utcnow()
    user = await authenticate(session, email=email, password=password, now=now)
    if user is None:
        return _login_page(request, next_url=safe_next(next), error=FAILED, email=email,
                           status_code=401)
    origin = origin_of(request)
    issued = await sessions.open_browser_session(
        session, user=user, now=now, ip=origin.ip, user_agent=origin.user_agent,
        second_factor_pending=user.two_factor)
    target = safe_next(next)
    if user.two_factor:
        target = "/console/login/two-factor?" + urlencode({"next": target})
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, issued.token)
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True,
                           samesite="strict")
    return response


@router.get("/login/two-factor")
async def second_factor_form(request: Request, session: SessionDep,
                          next: str | None = None) -> Response:
    pending = await _pending(request, session)
    if pending is None:
        return RedirectResponse("/console/login", status_code=303)
    return render(request, "login_two_factor.html", {
        "csrf_token": pending[0].csrf_token, "next_url": safe_next(next)})


@router.post("/login/two-factor")
async def second_factor(
    request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form()], next: Annotated[str, Form()] = "/console",
) -> Response:
    pending = await _pending(request, session)
    if pending is None:
        return RedirectResponse("/console/login", status_code=303)
    staff_session, user = pending
    await check_csrf(request, staff_session.csrf_token)
    now = utcnow()
    cipher = request.app.state.field_cipher
    if not await two_factor.check_code(session, user=user, code=code, cipher=cipher, now=now):
        if user.locked(now):
            staff_session.revoked_at = now
            response = _login_page(request, next_url=safe_next(next), error=FAILED,
                                   status_code=401)
            clear_session_cookie(response)
            return response
        return render(request, "login_two_factor.html", {
            "csrf_token": staff_session.csrf_token, "next_url": safe_next(next),
            "error": WRONG_CODE}, status_code=401)
    issued = await sessions.complete_second_factor(session, pending=staff_session, user=user,
                                                   now=now)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, issued.token)
    return response


@router.post("/logout", dependencies=[SignedIn])
async def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    await sessions.sign_out(session, ended=principal.session, now=utcnow())
    response = RedirectResponse("/console/login", status_code=303)
    clear_session_cookie(response)
    return response

