"""Refusals and domain errors as a page for the console, as JSON for everything else.

An anonymous visitor to a console page is sent to the sign-in page (htmx requests get an
`HX-Redirect` header instead, so the whole page changes, not a fragment); a 403 or a domain
error on a page renders `error.html`. API clients get `{"error": code, "detail": message}`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from admin import errors as api_errors
from admin.auth import AuthError
from admin.console.rendering import render
from core.errors import DomainError

PAGES = ("/console", "/docs")
LOGIN = "/console/login"


def is_page(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PAGES)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN}?{urlencode({'next': target})}"


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
    return render(request, "error.html", {"title": "Not allowed", "message": exc.message},
                  status_code=exc.status_code)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not is_page(request.url.path):
        return await api_errors.domain_error_handler(request, exc)
    return render(request, "error.html", {"title": "That did not work", "message": exc.message},
                  status_code=api_errors.status_for(exc))


def install(app: FastAPI) -> None:
    app.add_exception_handler(AuthError, auth_error)
    app.add_exception_handler(DomainError, domain_error)
