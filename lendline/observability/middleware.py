"""The request context middleware: a request id on every request and socket, the channel
of the socket routes, and the acknowledgement time of every webhook.

Plain ASGI (no `BaseHTTPMiddleware`), so websockets and streamed responses pass through
untouched and a request costs a few microseconds (figures in docs/operations.md).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.telemetry import context, metrics

HEADER: Final = "x-request-id"
SANE_ID: Final = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Route templates of the providers' webhooks (Twilio messaging, status and voice; payments).
WEBHOOKS: Final = ("/channels/twilio/", "/channels/voice/", "/api/v1/payments/webhooks/")
CHANNELS: Final = (("/channels/voice/", "voice"), ("/chat", "web"))


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it looks like an id (8–128 letters, digits and
    . _ : -), else a new one: a proxy's id joins our logs to its own."""
    for name, value in headers:
        if name == HEADER.encode():
            text = value.decode("latin-1")
            if SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def channel_of(path: str) -> str | None:
    return next((channel for prefix, channel in CHANNELS if path.startswith(prefix)), None)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = request_id(scope["headers"])
        values: dict[str, str] = {"request_id": rid}
        channel = channel_of(scope["path"])
        if channel is not None:
            values["channel"] = channel
        if scope["type"] == "websocket":
            with context.bound(**values):
                await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER.encode(), rid.encode())]
            await send(message)

        try:
            with context.bound(**values):
                await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None)
            if scope["method"] == "POST" and template and template.startswith(WEBHOOKS):
                metrics.observe_webhook(template, status, time.perf_counter() - started)
