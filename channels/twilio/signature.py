"""Every Twilio webhook is signed: `X-Twilio-Signature` is an HMAC of the URL and the form.

The URL Twilio signed is the public one it called, not the one we see behind a proxy, so it
is rebuilt from the configured public base URL. A request with a bad or missing signature
gets 403, is audited (who it claimed to be, from where) and changes nothing else.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, WebSocket
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.request_validator import RequestValidator

from core.audit import trail

log = logging.getLogger(__name__)


def public_url(request: Request | WebSocket, base_url: str) -> str:
    """The URL Twilio called: our public base URL plus the request's path and query."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base_url.rstrip('/')}{request.url.path}{query}"


def signature_valid(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    return bool(signature) and RequestValidator(auth_token).validate(url, params, signature)


async def signed_form(request: Request) -> dict[str, str]:
    """The webhook's form fields once its signature checks out; 403 (audited) otherwise.

    With no Twilio auth token configured every webhook is refused: an unsigned endpoint
    would let anyone speak as any phone number.
    """
    settings = request.app.state.settings
    form = {key: str(value) for key, value in (await request.form()).multi_items()}
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    url = public_url(request, settings.base_url)
    signature = request.headers.get("X-Twilio-Signature", "")
    if token and signature_valid(token, url, form, signature):
        return form
    await refuse(request.app.state.session_factory, url=url, form=form,
                 client=request.client.host if request.client else None,
                 reason="missing signature" if not signature else "bad signature")
    raise HTTPException(status_code=403, detail="The request's Twilio signature is not valid.")


async def refuse(
    sessions: async_sessionmaker[AsyncSession], *, url: str, form: dict[str, str],
    client: str | None, reason: str,
) -> None:
    """Audit a refused webhook: enough to trace it, none of the message's content."""
    log.warning("Refused a Twilio webhook to %s from %s: %s", url, client, reason)
    async with sessions() as session, session.begin():
        await trail.record(
            session, actor=f"twilio-webhook:{client or 'unknown'}", action="webhook.refused",
            entity_type="webhook", entity_id=urlsplit(url).path[:60],
            after={"reason": reason, "url": url, "from": form.get("From", ""),
                   "sid": form.get("MessageSid") or form.get("CallSid") or ""},
        )
