"""The console's queue and conversation pages over HTTP: what a refused action shows, the
transcript's refresh, and a borrower's markup escaped wherever it is rendered."""

from __future__ import annotations

import datetime as dt
import html

import httpx
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from admin.console.queue import rows_html
from core.conversations import takeover
from core.conversations.models import Author, Direction
from core.conversations.store import append_message
from tests.console.queue.conftest import sign_in_as
from tests.console.queue.world import counts, world

MARKUP = "<script>alert('xss')</script><img src=x onerror=\"alert('xss')\">"


async def test_the_queue_page_lists_escalations_with_a_claim_button(
    console: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    await sign_in_as(console, w.andre.email)
    page = await console.get("/console/queue")
    assert page.status_code == 200
    assert 'data-events="/console/queue/events"' in page.text
    assert f'id="escalation-{w.escalation.id}"' in page.text
    assert "Asha Ramdial" in page.text and ">Claim</button>" in page.text
    assert '<script src="/console/static/queue.js" defer></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_the_second_claim_in_the_console_shows_who_has_it(
    console: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre,
                         now=dt.datetime.now(dt.UTC))
    csrf = await sign_in_as(console, w.colette.email)
    lost = await console.post(f"/console/conversations/{w.conversation.id}/claim",
                              data={"escalation_id": w.escalation.id, "csrf_token": csrf})
    assert lost.status_code == 409
    assert "Andre Agent claimed this conversation first" in html.unescape(lost.text)
    assert 'id="claim"' not in lost.text
    assert "Only Andre Agent or a supervisor may reply to, transfer or resolve it" in \
        html.unescape(lost.text)


async def test_a_refused_reply_keeps_what_was_typed(
    console: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session, last_inbound=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    csrf = await sign_in_as(console, w.andre.email)
    claimed = await console.post(f"/console/conversations/{w.conversation.id}/claim",
                                 data={"escalation_id": w.escalation.id, "csrf_token": csrf})
    assert (claimed.status_code, claimed.headers["location"]) == (
        303, f"/console/conversations/{w.conversation.id}?notice=claimed")
    page = (await console.get(claimed.headers["location"])).text
    assert 'class="window closed"' in page
    before = await counts(session)
    refused = await console.post(f"/console/conversations/{w.conversation.id}/reply", data={
        "escalation_id": w.escalation.id, "csrf_token": csrf, "body": "Hi Asha <3"})
    assert refused.status_code == 422
    assert "Outside WhatsApp&#39;s 24-hour window" in refused.text
    assert ">Hi Asha &lt;3</textarea>" in refused.text
    assert await counts(session) == before


async def test_the_transcript_refreshes_only_when_it_changed(
    console: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    csrf = await sign_in_as(console, w.andre.email)
    url = f"/console/conversations/{w.conversation.id}/transcript"
    first = await console.get(url)
    version = first.text.split("transcript?version=")[1].split('"')[0]
    assert (await console.get(url, params={"version": version})).status_code == 204
    noted = await console.post(f"/console/conversations/{w.conversation.id}/notes",
                               data={"csrf_token": csrf, "body": "Prefers evenings."})
    assert noted.status_code == 303
    changed = await console.get(url, params={"version": version})
    assert changed.status_code == 200
    assert "Prefers evenings." in changed.text and "never sent" in changed.text


async def test_a_borrowers_markup_is_escaped_in_the_queue_and_the_transcript(
    console: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    await append_message(session, conversation=w.conversation, direction=Direction.INBOUND,
                         author=Author.BORROWER, body=MARKUP, now=dt.datetime.now(dt.UTC))
    w.escalation.detail = MARKUP
    await session.flush()
    await sign_in_as(console, w.andre.email)
    escaped = str(escape(MARKUP))
    for page in (await console.get(f"/console/conversations/{w.conversation.id}"),
                 await console.get("/console/queue")):
        assert page.status_code == 200
        assert "<img src=x" not in page.text and "<script>alert" not in page.text
        assert escaped in page.text
    rows = rows_html(await takeover.queue(session), csrf_token="t", staff_id=w.andre.id,
                     now=dt.datetime.now(dt.UTC))
    assert "<img" not in rows and "&lt;script&gt;" in rows
