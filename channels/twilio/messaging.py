"""POST /channels/twilio/messaging: the webhook of a WhatsApp sender and an SMS number.

Twilio allows 15 seconds for an answer and the agent may take longer, so the webhook only
checks the request (signature, then the form), counts the sender against the rate limit,
queues the message's job and acknowledges with empty TwiML; the job answers through the
outbox (see `channels.twilio.inbound_jobs`). A repeated MessageSid is acknowledged and
dropped. A forged request gets 403 and a malformed one 400 with the reason, and neither
writes anything but the audit of the forgery.

Redis only speeds this up: if it is unreachable the message is still accepted, unlimited,
and the transcript's unique provider id still drops duplicates.
"""

from __future__ import annotations

import logging
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response
from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels.rate_limit import RateLimiter, Verdict
from channels.twilio import inbound_jobs
from channels.twilio.inbound import InboundMessage, MalformedMessage, parse_inbound
from channels.twilio.signature import signed_form

log = logging.getLogger(__name__)

router = APIRouter(tags=["channels"])
PATH: Final = "/channels/twilio/messaging"
EMPTY_TWIML: Final = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SEEN: Final = "twilio:seen:"
SEEN_SECONDS: Final = 24 * 3600


def acknowledge() -> Response:
    return Response(content=EMPTY_TWIML, media_type="text/xml")


@router.post(
    PATH, response_class=Response, summary="Inbound WhatsApp and SMS messages (Twilio webhook)",
    responses={200: {"content": {"text/xml": {}}, "description": "Empty TwiML: accepted."},
               400: {"description": "The form is not a Twilio message; `detail` says why."},
               403: {"description": "The X-Twilio-Signature is missing or wrong."}},
)
async def receive_message(request: Request) -> Response:
    """Accept one message for the agent; it answers through the REST API, not in this reply."""
    form = await signed_form(request)
    try:
        message = parse_inbound(form)
    except MalformedMessage as error:
        log.warning("Refused a malformed Twilio message webhook (%s): %s",
                    form.get("MessageSid", "no MessageSid")[:40], error)
        raise HTTPException(status_code=400, detail=str(error)) from None
    state = request.app.state
    redis: Redis = state.services.redis
    verdict = await _screen(redis, message, limit=state.settings.messages_per_minute)
    if verdict is None:
        return acknowledge()
    if await inbound_jobs.accept(message, verdict=verdict):
        try:
            await redis.set(f"{SEEN}{message.sid}", b"1", ex=SEEN_SECONDS)
        except RedisError as error:
            log.warning("Could not remember Twilio message %s: %s", message.sid, error)
    return acknowledge()


async def _screen(redis: Redis, message: InboundMessage, *, limit: int) -> Verdict | None:
    """None for a MessageSid already acknowledged, else the sender's rate-limit verdict."""
    try:
        if await redis.exists(f"{SEEN}{message.sid}"):
            return None
        return await RateLimiter(redis, limit=limit).hit(f"{message.channel}:{message.address}")
    except RedisError as error:
        log.warning("Rate limit and duplicate check skipped for %s: %s", message.sid, error)
        return Verdict.ANSWER
