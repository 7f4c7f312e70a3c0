"""The web chat's routes: the page at `/chat`, its websocket at `/chat/ws` and document
uploads at `/chat/upload` (the protocol is in docs/channels-web.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from agent.conversation import Attachment, Inbound
from channels.rate_limit import RateLimiter, Verdict
from channels.web import protocol
from channels.web.chat import TOO_FAST, ChatSocket, limit_key, nudge_session
from channels.web.delivery import provider_id
from channels.web.tokens import SessionTokens

router = APIRouter(tags=["web chat"])

STATIC = Path(__file__).parent / "static"
ASSETS = {"chat.css": "text/css", "chat.js": "text/javascript"}
MAX_UPLOAD = 10 * 1024 * 1024  # bytes in one document, as the lender keeps at most
SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff",
              "image/png": b"\x89PNG\r\n\x1a\n"}
FORM_ROOM = 64 * 1024  # bytes of a multipart body that are not the file itself
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _tokens(app: FastAPI) -> SessionTokens:
    tokens: SessionTokens | None = getattr(app.state, "web_chat_tokens", None)
    if tokens is None:
        tokens = SessionTokens(app.state.settings.resolved_secret_key())
        app.state.web_chat_tokens = tokens
    return tokens


def _limiter(app: FastAPI) -> RateLimiter:
    limiter: RateLimiter | None = getattr(app.state, "web_chat_limiter", None)
    if limiter is None:
        limiter = RateLimiter(app.state.services.redis,
                              limit=app.state.settings.messages_per_minute)
        app.state.web_chat_limiter = limiter
    return limiter


@router.get("/chat", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "chat.html", media_type="text/html", headers=PAGE_HEADERS)


@router.get("/chat/{asset}", include_in_schema=False)
async def asset(asset: str) -> FileResponse:
    if asset not in ASSETS:
        raise HTTPException(404, "There is no such file.")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset],
                        headers={"Cache-Control": "no-cache", **PAGE_HEADERS})


@router.websocket("/chat/ws")
async def chat_socket(websocket: WebSocket) -> None:
    app = websocket.app
    await ChatSocket(websocket, agent=app.state.agent, tokens=_tokens(app),
                     limiter=_limiter(app), sessions=app.state.session_factory,
                     redis=app.state.services.redis).run()


class UploadRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _filename(value: str | None) -> str:
    name = re.split(r"[\\/]", (value or "").strip())[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "document"


async def _attachment(file: Any) -> Attachment:
    if not isinstance(file, UploadFile):
        raise UploadRefused(422, "invalid_upload", "Choose a file to send (the 'file' field).")
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise UploadRefused(413, "file_too_large", f"A document can be at most "
                            f"{MAX_UPLOAD // 1024 // 1024} MB.")
    if not content:
        raise UploadRefused(422, "empty_file", "That file is empty.")
    kind = (file.content_type or "").split(";")[0].strip().lower()
    if kind not in SIGNATURES:
        raise UploadRefused(415, "unsupported_type", "Send a PDF, JPEG or PNG file.")
    if not content.startswith(SIGNATURES[kind]):
        raise UploadRefused(415, "unsupported_type", f"That file is not really a "
                            f"{kind.split('/')[1].upper()}; send a PDF, JPEG or PNG file.")
    return Attachment(_filename(file.filename), kind, content)


async def _inbound(request: Request) -> tuple[str, Inbound]:
    """The client's id and the upload as a chat message, or `UploadRefused` saying what is
    wrong with it."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefused(415, "invalid_upload", "Send the document as multipart/form-data.")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD + FORM_ROOM:
        raise UploadRefused(413, "file_too_large", f"A document can be at most "
                            f"{MAX_UPLOAD // 1024 // 1024} MB.")
    try:
        form = await request.form(max_files=1, max_fields=3, max_part_size=FORM_ROOM)
    except HTTPException as malformed:
        raise UploadRefused(400, "invalid_upload", f"That upload could not be read: "
                            f"{malformed.detail}") from None
    token = form.get("session")
    session_id = _tokens(request.app).session_id(token) if isinstance(token, str) else None
    if session_id is None:
        raise UploadRefused(401, "invalid_session", "That chat session is not one of ours; "
                            "reload the chat and try again.")
    client_id, text = form.get("id"), form.get("text") or ""
    if not isinstance(client_id, str) or not re.fullmatch(protocol.CLIENT_ID, client_id):
        raise UploadRefused(422, "invalid_upload", "'id' must be 1 to 64 letters, digits, "
                            "'-' or '_'.")
    if not isinstance(text, str) or len(text) > protocol.MAX_TEXT:
        raise UploadRefused(422, "message_too_long", f"A message can be at most "
                            f"{protocol.MAX_TEXT:,} characters.")
    attachment = await _attachment(form.get("file"))
    if await _limiter(request.app).hit_or_answer(limit_key(session_id)) is not Verdict.ANSWER:
        raise UploadRefused(429, "rate_limited", TOO_FAST)
    return client_id, Inbound(channel="web", address=session_id, text=text,
                              provider_message_id=provider_id(session_id, client_id),
                              attachments=(attachment,))


@router.post("/chat/upload", responses={
    200: {"description": "Taken; the agent's reply arrives on the chat socket."},
    400: {"description": "Not a readable multipart body."},
    401: {"description": "The session token is not one the server issued."},
    413: {"description": "The document is over 10 MB."},
    415: {"description": "Not multipart, or not a PDF, JPEG or PNG."},
    422: {"description": "A field is missing or malformed, or the file is empty."},
    429: {"description": "More messages and uploads from this chat than a minute allows."},
})
async def upload(request: Request) -> JSONResponse:
    """Send a document into the chat (multipart fields `session`, `id`, `file`, optional
    `text`). The agent's turn runs with the document attached; its reply is delivered on the
    chat's websocket. A resent `id` is taken once."""
    try:
        client_id, inbound = await _inbound(request)
    except UploadRefused as refused:
        return JSONResponse({"error": refused.code, "detail": refused.message},
                            status_code=refused.status)
    result = await request.app.state.agent.converse(inbound)
    await nudge_session(request.app.state.services.redis, inbound.address)
    return JSONResponse({"id": client_id, "duplicate": result.duplicate})
