"""Refusals, domain errors and missing pages as a page for the console, as JSON for the rest.

An anonymous visitor to a console page is sent to the sign-in page (htmx requests get an
`HX-Redirect` header instead, so the whole page changes, not a fragment); a 403, a domain
error or an unknown console address renders `error.html`. API clients get
`{"error": code, "detail": message}` (FastAPI's own `{"detail": ...}` for unknown routes).

These handlers run after the request's unit of work has ended: an error rolled it back,
which expired the signed-in member's records, and the session that loaded them is closed.
The page then reads them again in a short session of its own, so the error renders instead
of failing with a `DetachedInstanceError` (a 500).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import inspect
from starlette.exceptions import HTTPException

from admin import errors as api_errors
from admin.auth import AuthError, Principal
from admin.console.rendering import render
from core.errors import DomainError
from core.staff.models import StaffSession, StaffUser

PAGES = ("/console", "/docs")
LOGIN = "/console/login"
TITLES = {403: "Not allowed", 404: "Not found"}
MISSING = {404: "There is no such page in the console. Check the address, or start again "
                "from the console's front page.",
           405: "That page cannot be used this way. Start again from the console's front page."}


def is_page(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PAGES)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN}?{urlencode({'next': target})}"


def _stale(principal: Principal) -> bool:
    """True when the principal's records were expired by a rollback and can no longer load."""
    states = (inspect(principal.staff), inspect(principal.session))
    return any(state.detached and state.expired_attributes for state in states)


async def error_page(request: Request, *, title: str, message: str,
                     status_code: int) -> Response:
    """`error.html` with `message`, for the signed-in member if there is one."""
    context = {"title": title, "message": message}
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not _stale(principal):
        return render(request, "error.html", context, status_code=status_code)
    async with request.app.state.session_factory() as session:
        staff = await session.get(StaffUser, inspect(principal.staff).identity)
        staff_session = await session.get(StaffSession, inspect(principal.session).identity)
        request.state.principal = (Principal(staff, staff_session)
                                   if staff is not None and staff_session is not None else None)
        return render(request, "error.html", context, status_code=status_code)


async def auth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthError)
    if not is_page(request.url.path):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"error": exc.code, "detail": exc.message},
                            status_code=exc.status_code, headers=headers)
    if exc.status_code == 401:
        target = login_url(request) if request.method == "GET" else LOGIN
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return await error_page(request, title="Not allowed", message=exc.message,
                            status_code=exc.status_code)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not is_page(request.url.path):
        return await api_errors.domain_error_handler(request, exc)
    status_code = api_errors.status_for(exc)
    return await error_page(request, title=TITLES.get(status_code, "That did not work"),
                            message=exc.message, status_code=status_code)


async def http_error(request: Request, exc: Exception) -> Response:
    """An unknown console address (404) or method (405) as a page; FastAPI's JSON elsewhere."""
    assert isinstance(exc, HTTPException)
    if not is_page(request.url.path) or exc.status_code not in MISSING:
        return await http_exception_handler(request, exc)
    return await error_page(request, title=TITLES.get(exc.status_code, "Not available"),
                            message=MISSING[exc.status_code], status_code=exc.status_code)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AuthError, auth_error)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(HTTPException, http_error)
