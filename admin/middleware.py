"""ASGI middleware for staff surfaces: security headers, and the audit trail's "from where".

`SecurityHeaders` gives console pages a Content-Security-Policy with no inline script or
style, forbids framing and MIME sniffing, and keeps staff responses out of caches (the
console's static files excepted). `AuditOrigin` puts the client's address and user agent on
every audit event a request appends, whichever service appends it.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.audit.trail import Origin, use_origin

CONSOLE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
               "base-uri 'none'; object-src 'none'")
STAFF_PREFIXES = ("/console", "/api/", "/docs", "/openapi.json")
STATIC = "/console/static/"


def headers_for(path: str, scheme: str) -> dict[str, str]:
    """The security headers a response to `path` gets (none outside the staff surfaces)."""
    if not path.startswith(STAFF_PREFIXES):
        return {}
    headers = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
               "Referrer-Policy": "same-origin"}
    if not path.startswith(STATIC):
        headers["Cache-Control"] = "no-store"
    if path.startswith("/console"):
        headers["Content-Security-Policy"] = CONSOLE_CSP
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if scheme == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], scope.get("scheme", "http"))
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AuditOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        origin = Origin(ip=client[0] if client else None,
                        user_agent=Headers(scope=scope).get("user-agent"))
        with use_origin(origin):
            await self.app(scope, receive, send)
