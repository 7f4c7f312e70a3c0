"""Rendering console pages: the Jinja2 environment, the navigation and `render`.

Autoescaping is on for every template (borrowers' words are untrusted) and an undefined
variable is an error, not an empty string. `render` adds what `base.html` needs: the staff
member, their CSRF token, the navigation they may see and `can(permission)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates

from admin.auth import Principal
from admin.permissions import Permission, can

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
))


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: Permission


NAV: tuple[NavItem, ...] = (
    NavItem("Queue", "/console/queue", Permission.ESCALATIONS_CLAIM),
    NavItem("Customers", "/console/customers", Permission.CUSTOMERS_VIEW),
    NavItem("Decisions", "/console/decisions", Permission.APPLICATIONS_DECIDE),
    NavItem("Approvals", "/console/approvals", Permission.SETTLEMENTS_APPROVE),
    NavItem("Knowledge", "/console/knowledge", Permission.KNOWLEDGE_MANAGE),
    NavItem("Dashboard", "/console/dashboard", Permission.DASHBOARD_VIEW),
    NavItem("Staff", "/console/staff", Permission.STAFF_MANAGE),
    NavItem("Account", "/console/account", Permission.ACCOUNT),
)
"""The console's sections; an entry shows when its page is mounted and the role may see it."""


def mounted_pages(app: FastAPI) -> frozenset[str]:
    """The paths of the app's GET routes (cached on the app after the first call)."""
    found: frozenset[str] | None = getattr(app.state, "console_pages", None)
    if found is None:
        found = frozenset(route.path for route in iter_route_contexts(app.routes)
                          if route.path and "GET" in (route.methods or ()))
        app.state.console_pages = found
    return found


def navigation(request: Request, principal: Principal | None) -> list[dict[str, Any]]:
    if principal is None:
        return []
    pages = mounted_pages(request.app)
    path = request.url.path
    return [
        {"label": item.label, "href": item.href,
         "active": path == item.href or path.startswith(item.href + "/")}
        for item in NAV
        if item.href in pages and can(principal.staff.role, item.permission)
    ]


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """Render `template` with the page context `base.html` expects plus `context`.

    Call it from a route guarded by `require(...)`; on a public page (sign-in) pass
    `csrf_token` in `context` yourself.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    page: dict[str, Any] = {
        "staff": principal.staff if principal else None,
        "csrf_token": principal.csrf_token if principal else "",
        "nav": navigation(request, principal),
        "can": lambda permission: principal is not None and can(principal.staff.role,
                                                                Permission(permission)),
        "notice": None,
        "error": None,
        "lender_name": request.app.state.settings.lender_name,
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, page, status_code=status_code)
