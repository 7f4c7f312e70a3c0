"""The staff console: server-rendered pages under `/console` (Jinja2 and htmx, no build step).

`install(app)` mounts the pages, the static files at `/console/static`, the security
middleware and the page-aware error handlers. A new console section adds its router to
`routers` (one line); see docs/console.md, "Building a console page".
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from admin.console import (
    account,
    approvals,
    conversation,
    customers,
    dashboard,
    decisions,
    errors,
    favicon,
    knowledge,
    login,
    queue,
    staff,
)
from admin.middleware import AuditOrigin, SecurityHeaders

STATIC = Path(__file__).resolve().parent.parent / "static"

routers: list[APIRouter] = [login.router, account.router, staff.router, queue.router,
                            conversation.router, customers.router, customers.recording,
                            dashboard.router, decisions.router, approvals.router, knowledge.router,
                            knowledge.citations, favicon.router]


def install(app: FastAPI) -> None:
    """Mount the console on `app` (after `admin.errors.install`, whose handler it extends)."""
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AuditOrigin)
    errors.install(app)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    for router in routers:
        app.include_router(router)
