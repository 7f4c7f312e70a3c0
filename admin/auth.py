"""Who is calling, and may they: authentication and permission checks for pages and the API.

A staff request carries one of
- the console's session cookie (`__Host-lendline-session`, HttpOnly, Secure, SameSite=Lax),
  set at sign-in. A request that changes something (POST, PUT, PATCH, DELETE) must also
  carry the session's CSRF token: the `X-CSRF-Token` header (htmx sends it) or a
  `csrf_token` form field;
- a personal API token, `Authorization: Bearer llt_...`, which needs no CSRF token because a
  browser never attaches it on its own.

`require(permission)` guards a route with one permission of `admin.permissions`;
`CurrentStaff` is the same for the `admin/api` routers, whose permissions are declared per
URL in `admin.api_policy`. Refusals are `AuthError`s: 401 and 403 JSON for the API, a
redirect to the sign-in page or a 403 page for the console (`admin.console.errors`).
"""

# No `from __future__ import annotations`: FastAPI reads `Require.__call__`'s annotations at
# runtime, and a callable object has no module globals to resolve them from.

import datetime as dt
import functools
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admin.api_policy import permission_for
from admin.deps import SessionDep
from admin.permissions import Permission, can, refusal
from core.audit.trail import Origin
from core.staff import sessions
from core.staff.models import SessionKind, StaffSession, StaffUser

SESSION_COOKIE = "__Host-lendline-session"
CONSOLE = "/console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

bearer = HTTPBearer(
    auto_error=False,
    description="A personal API token: create one on the console's Account page or with "
                "`lendline api-token EMAIL`.",
)


class AuthError(Exception):
    """A request refused for who sent it: 401 (not signed in) or 403 (not allowed)."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message = status_code, code, message


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member and the session (or API token) they came with."""

    staff: StaffUser
    session: StaffSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token or ""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def origin_of(request: Request) -> Origin:
    """The client's address and user agent, for sessions and the audit trail."""
    return Origin(ip=request.client.host if request.client else None,
                  user_agent=request.headers.get("user-agent"))


async def identify(request: Request, session: SessionDep, *,
                   token: str | None = None) -> Principal | None:
    """The caller, or None. Console pages take only the session cookie: an API token cannot
    make more tokens or change the account. A session still waiting for its second factor
    is no caller; the two-factor page reads it itself."""
    header = request.headers.get("authorization")
    if header is not None and not request.url.path.startswith(CONSOLE):
        return await _by_token(session, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = await sessions.resolve(session, token=cookie, now=utcnow())
    if found is None:
        return None
    staff_session, user = found
    if staff_session.kind is not SessionKind.BROWSER or staff_session.second_factor_pending:
        return None
    if request.method in UNSAFE_METHODS:
        await check_csrf(request, staff_session.csrf_token)
    return Principal(user, staff_session)


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request whose CSRF token (header or form field) is not `expected`."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(FORMS):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AuthError(403, "csrf_failed", "This form has expired or did not come from the "
                                            "console. Reload the page and try again.")


async def _by_token(session: SessionDep, token: str | None) -> Principal:
    """The API token's holder; `token` is None when the Authorization header is not Bearer."""
    if token is None:
        raise AuthError(401, "unauthenticated",
                        "Only personal API tokens are accepted here: send 'Authorization: "
                        "Bearer <token>' (HTTP Basic with a password is no longer supported). "
                        "Create a token on your console Account page.")
    found = await sessions.resolve(session, token=token, now=utcnow())
    if found is None or found[0].kind is not SessionKind.API_TOKEN:
        raise AuthError(401, "unauthenticated",
                        "This API token is not valid: it has expired or been revoked.")
    return Principal(found[1], found[0])


async def signed_in(
    request: Request, session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The signed-in caller (any role), or a 401."""
    principal = await identify(request, session,
                               token=credentials.credentials if credentials else None)
    if principal is None:
        raise AuthError(401, "unauthenticated", "Sign in to continue.")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(signed_in)]


class Require:
    """A dependency admitting only staff whose role holds `permission`; returns the user."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __repr__(self) -> str:
        return f"require({self.permission.value!r})"

    async def __call__(self, principal: CurrentPrincipal) -> StaffUser:
        if not can(principal.staff.role, self.permission):
            raise AuthError(403, "permission_denied",
                            refusal(principal.staff.role, self.permission))
        return principal.staff


@functools.cache
def require(permission: Permission) -> Require:
    """`staff: Annotated[StaffUser, Depends(require(Permission.CUSTOMERS_VIEW))]`."""
    return Require(permission)


async def current_staff(request: Request, principal: CurrentPrincipal) -> StaffUser:
    """The caller of an `admin/api` route, checked against `admin.api_policy`."""
    permission = permission_for(request.url.path, request.method)
    if permission is None:
        raise AuthError(403, "permission_denied",
                        f"No permission is declared for {request.method} {request.url.path}, "
                        "so nobody may use it yet.")
    return await require(permission)(principal)


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]
