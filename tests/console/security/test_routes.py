"""Every route of the app refuses an anonymous caller and a role without its permission, unless
it is on the public list below with the reason it may be public.

The routes come from the app itself, so a route added without a permission check fails here:
it is on neither list, or it declares no permission, or a caller it should refuse gets in.
Only refusals are requested (they come before any handler runs), so no handler's side
effects or long-lived streams are involved.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Mount

from admin.api_policy import permission_for
from admin.auth import SESSION_COOKIE, Require, current_staff
from admin.permissions import Permission, holders, refusal
from core.staff import sessions
from core.staff.models import Role, StaffUser

PUBLIC_ROUTES = {
    ("GET", "/healthz"): "the load balancer's health check; answers only 'ok'",
    ("GET", "/readyz"): "the load balancer's readiness check; says which dependency is down",
    ("GET", "/metrics"): "Prometheus' scrape; its own bearer token (LENDLINE_METRICS_TOKEN)",
    ("GET", "/favicon.ico"): "the browser tab's icon (an SVG); no data",
    ("GET", "/pay/{reference}"): "the borrower's pay page; the unguessable reference is the key",
    ("POST", "/pay/{reference}"): "paying on the sandbox pay page; same key",
    ("POST", "/api/v1/payments/webhooks/stripe"): "Stripe's webhook; checked by its signature",
    ("POST", "/api/v1/payments/webhooks/sandbox"): "the sandbox's webhook; checked by signature",
    ("GET", "/api/v1/products"): "the public catalogue the website and the agent quote from",
    ("GET", "/api/v1/products/{code}"): "one product of the public catalogue",
    ("POST", "/api/v1/products/{code}/quote"): "a public quote for a product",
    ("GET", "/api/v1/merchants"): "the public list of hire-purchase merchants",
    ("POST", "/api/v1/merchants/{code}/quote"): "a public hire-purchase quote",
    ("POST", "/api/v1/calculator"): "the public loan calculator",
    ("GET", "/console/login"): "the sign-in page",
    ("POST", "/console/login"): "signing in; guarded by a double-submit CSRF token",
    ("GET", "/console/login/two-factor"): "the code step; needs the session the password opened",
    ("POST", "/console/login/two-factor"): "the code step; needs that session and its CSRF token",
}
PUBLIC_PREFIXES = {
    "/channels/": "Twilio's webhooks and media sockets; each checks Twilio's request signature",
    "/chat": "the borrowers' web chat; its own signed session tokens",
}
PUBLIC_MOUNTS = {
    "/_swagger": "Swagger UI's JavaScript and CSS; no data",
    "/console/static": "the console's CSS and JavaScript; no data",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    dependant: Dependant

    @property
    def url(self) -> str:
        return re.sub(r"\{[^}]+\}", "1", self.path)

    @property
    def page(self) -> bool:
        return self.path.startswith(("/console", "/docs"))

    def permissions(self) -> list[Permission | None]:
        """The permissions the route requires (all of them), in the order they are checked,
        through `require` or `CurrentStaff` (None: a CurrentStaff route no API rule covers)."""
        return list(dict.fromkeys(self._declared(self.dependant)))

    def _declared(self, dependant: Dependant) -> Iterator[Permission | None]:
        for sub in dependant.dependencies:
            if isinstance(sub.call, Require):
                yield sub.call.permission
            elif sub.call is current_staff:
                yield permission_for(self.url, self.method)
            yield from self._declared(sub)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC_ROUTES or path.startswith(tuple(PUBLIC_PREFIXES))


def endpoints(app: FastAPI) -> list[Endpoint]:
    """The guarded HTTP endpoints; fails on any route that is neither guarded nor listed."""
    found: list[Endpoint] = []
    for route in iter_route_contexts(app.routes):
        original, path = route.original_route, route.path
        if isinstance(original, Mount):
            assert path in PUBLIC_MOUNTS, f"mount {path} is not on the public list"
        elif isinstance(original, APIWebSocketRoute):
            assert path.startswith(tuple(PUBLIC_PREFIXES)), f"websocket {path} is unguarded"
        else:
            assert isinstance(original, APIRoute), f"{path}: a route of unknown kind"
            for method in sorted(route.methods or ()):
                if not public(method, path):
                    found.append(Endpoint(method, path, route.dependant))
    return found


def test_every_route_is_public_on_purpose_or_declares_its_permission(app: FastAPI) -> None:
    guarded = endpoints(app)
    assert len(guarded) > 100
    undeclared = [str(endpoint) for endpoint in guarded
                  if not endpoint.permissions() or None in endpoint.permissions()]
    assert undeclared == [], "no permission, or a CurrentStaff route no API rule covers"
    listed = {path for _, path in PUBLIC_ROUTES}
    present = {route.path for route in iter_route_contexts(app.routes)}
    assert listed <= present, "a public route on the list no longer exists: update the list"


class Caller:
    """Requests as a given staff member: an API token for the API, a session for pages."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client, self.session = client, session

    async def request(self, endpoint: Endpoint, user: StaffUser | None) -> httpx.Response:
        headers: dict[str, str] = {}
        self.client.cookies.clear()
        now = dt.datetime.now(dt.UTC)
        if user is not None and endpoint.page:
            issued = await sessions.open_browser_session(self.session, user=user, now=now)
            self.client.cookies.set(SESSION_COOKIE, issued.token)
            headers["X-CSRF-Token"] = issued.session.csrf_token or ""
        elif user is not None:
            issued = await sessions.issue_api_token(self.session, user=user, label="routes",
                                                    now=now, actor="test")
            headers["Authorization"] = f"Bearer {issued.token}"
        body = {"json": {}} if endpoint.method in UNSAFE and not endpoint.page else {}
        return await self.client.request(endpoint.method, endpoint.url, headers=headers, **body)


@pytest.fixture
async def caller(app: FastAPI, session: AsyncSession) -> Caller:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="https://test")
    return Caller(client, session)


def refused_anonymously(endpoint: Endpoint, answer: httpx.Response) -> bool:
    if endpoint.page:
        return (answer.status_code == 303
                and answer.headers["location"].startswith("/console/login"))
    return answer.status_code == 401 and answer.json()["error"] == "unauthenticated"


def refused_for_permission(endpoint: Endpoint, answer: httpx.Response, role: Role,
                           permission: Permission) -> bool:
    reason = refusal(role, permission)
    if answer.status_code != 403:
        return False
    if endpoint.page:
        # Jinja escapes ' as &#39;, html.escape as &#x27;: compare the text people read.
        return reason in html.unescape(answer.text)
    return answer.json() == {"error": "permission_denied", "detail": reason}


async def test_every_guarded_route_refuses_strangers_and_roles_without_its_permission(
    app: FastAPI, caller: Caller, people: dict[Role, StaffUser]
) -> None:
    problems: list[str] = []
    for endpoint in endpoints(app):
        required = [permission for permission in endpoint.permissions() if permission]
        assert required, f"{endpoint} declares no permission"
        anonymous = await caller.request(endpoint, None)
        if not refused_anonymously(endpoint, anonymous):
            problems.append(f"{endpoint}: anonymous got {anonymous.status_code}")
        for role in Role:
            missing = [permission for permission in required if role not in holders(permission)]
            if missing:
                answer = await caller.request(endpoint, people[role])
                if not refused_for_permission(endpoint, answer, role, missing[0]):
                    problems.append(f"{endpoint}: {role.value} without {missing[0]} got "
                                    f"{answer.status_code}")
                break
    assert problems == []
