"""Twilio's message status callbacks: POST /channels/twilio/status.

Every message we send names this URL with its outbox row and part (`?outbox=17&part=0`).
Twilio posts each change (`queued`, `sent`, `delivered`, `read`, `undelivered`, `failed`…):
a signed callback moves the row forward (never back); one about no message of ours, or a
status we do not follow, is acknowledged with 200 and changes nothing, so Twilio does not
retry it. A bad signature gets 403 (audited) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from fastapi import APIRouter, Request, Response

from channels.twilio.outbox_state import apply_callback
from channels.twilio.signature import signed_form
from core.db.session import unit_of_work

log = logging.getLogger(__name__)

router = APIRouter(tags=["channels"])


# ASCII digits (str.isdigit() also takes "²", which int() refuses), few enough to fit the
# database's integer columns: Twilio's error codes, our outbox ids and part indexes.
_NUMBER = re.compile(r"[0-9]{1,9}")


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and _NUMBER.fullmatch(value) else None


@router.post("/channels/twilio/status", include_in_schema=False)
async def message_status(request: Request) -> Response:
    form = await signed_form(request)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if sid and status:
        async with unit_of_work(request.app.state.session_factory) as session:
            applied = await apply_callback(
                session, sid=sid, status=status, error_code=_number(form.get("ErrorCode")),
                outbox_id=_number(request.query_params.get("outbox")),
                part=_number(request.query_params.get("part")), now=dt.datetime.now(dt.UTC))
        if not applied:
            log.info("Ignored Twilio status %r for message %s: not one we follow", status, sid)
    return Response(status_code=200)
