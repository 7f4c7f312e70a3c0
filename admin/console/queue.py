"""The escalation queue, live: the page at `/console/queue` and its server-sent events.

How the page stays current without a reload: `/console/queue/events` streams the rendered
rows whenever they change. Each stream subscribes to the Redis channel `console:escalations`
and also re-reads the queue every `POLL_SECONDS`:
- staff actions (claim, transfer, reply, resolve, from the console or the API) publish on
  the channel after they commit, so every replica's streams update at once;
- an escalation the agent opens inside a turn (on any channel, on any replica) is found by
  the re-read within `POLL_SECONDS`, so the channels need not know the console exists.
A stream ends after `STREAM_SECONDS` and the browser reconnects (signed-in again, so an
ended session stops receiving updates; and a server shutting down waits at most that long
for open streams).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from markupsafe import Markup
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.auth import CurrentPrincipal, require, utcnow
from admin.console.rendering import render, templates
from admin.deps import SessionDep
from admin.permissions import Permission as P
from admin.takeover import TOPIC
from core.conversations import takeover
from core.conversations.takeover import QueueEntry

router = APIRouter(prefix="/console/queue", include_in_schema=False,
                   dependencies=[Depends(require(P.ESCALATIONS_CLAIM))])

POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 60.0
PRIORITIES = {1: "Urgent", 2: "Normal", 3: "Low"}


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long someone has waited, as the queue shows it ("4 min", "2 h 5 min");
    static/queue.js writes the same as time passes."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def rows_html(entries: list[QueueEntry], *, csrf_token: str, staff_id: int,
              now: dt.datetime) -> str:
    """The queue's table rows, as the page shows them and the stream sends them."""
    return templates.get_template("queue_rows.html").render(
        entries=entries, csrf_token=csrf_token, staff_id=staff_id, now=now,
        priorities=PRIORITIES, waited=waited)


def _fingerprint(entries: list[QueueEntry]) -> str:
    return json.dumps([(e.escalation_id, e.status.value, e.claimed_by, e.customer_name)
                       for e in entries])


def _event(name: str, html: str) -> str:
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {name}\n{data}\n\n"


async def _stream(factory: async_sessionmaker[AsyncSession], redis: Redis, *,
                  csrf_token: str, staff_id: int) -> AsyncIterator[str]:
    pubsub = redis.pubsub()
    await pubsub.subscribe(TOPIC)
    try:
        yield f"retry: {int(POLL_SECONDS * 1000)}\n\n"
        started = last_sent = time.monotonic()
        shown: str | None = None
        while time.monotonic() - started < STREAM_SECONDS:
            async with factory() as session:
                entries = await takeover.queue(session)
            fingerprint = _fingerprint(entries)
            if fingerprint != shown:
                shown, last_sent = fingerprint, time.monotonic()
                yield _event("queue", rows_html(entries, csrf_token=csrf_token,
                                                staff_id=staff_id, now=utcnow()))
            elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                last_sent = time.monotonic()
                yield ": still here\n\n"
            if await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS):
                # A burst of announcements is one re-read, not one each.
                while await pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                    pass
    finally:
        await pubsub.aclose()


@router.get("")
async def queue_page(request: Request, session: SessionDep,
                     principal: CurrentPrincipal) -> Response:
    entries = await takeover.queue(session)
    return render(request, "queue.html", {"rows": Markup(rows_html(
        entries, csrf_token=principal.csrf_token, staff_id=principal.staff.id, now=utcnow()))})


@router.get("/events")
async def queue_events(request: Request, session: SessionDep,
                       principal: CurrentPrincipal) -> Response:
    """The queue's rows as server-sent events (`event: queue`, the rows' HTML as data)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return PlainTextResponse("Live updates start with the app; reload the page.",
                                 status_code=503)
    # The stream reads with sessions of its own: end the request's transaction now rather
    # than hold a connection (and the session row it may have touched) for minutes.
    await session.commit()
    return StreamingResponse(
        _stream(request.app.state.session_factory, services.redis,
                csrf_token=principal.csrf_token, staff_id=principal.staff.id),
        media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})
