"""The queue and takeover on the running app, over HTTP and server-sent events: two staff
claiming at once, the live stream, a reply delivered to the borrower's channel and the
graph resuming on hand-back."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import pytest

from core.applications.documents import attach_document
from core.applications.repository import load_by_reference
from core.conversations.escalations import open_escalation
from core.conversations.models import Channel, EscalationReason
from core.conversations.store import open_conversation
from lendline import demo
from tests.channels.conftest import LiveApp, query
from tests.console.queue.conftest import api_token, converse

AGENT, SUPERVISOR = "agent@lendline.example", "supervisor@lendline.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def escalate(app: LiveApp, address: str) -> tuple[int, int]:
    """A WhatsApp borrower asks for a person; the conversation's and escalation's ids."""
    result = converse(app, "whatsapp", address, "lemme talk to somebody")
    assert result.escalated, result.texts
    escalation = query(app, "select id from escalations where conversation_id = :c "
                       "and status = 'waiting'", c=result.conversation_id)
    return result.conversation_id, escalation


async def test_two_staff_claiming_at_once_one_wins_over_http(console_app: LiveApp) -> None:
    _, escalation = escalate(console_app, "+18685550201")
    tokens = [api_token(console_app, email) for email in (AGENT, SUPERVISOR)]
    async with httpx.AsyncClient(base_url=console_app.url) as client:
        answers = await asyncio.gather(*[
            client.post(f"/api/v1/escalations/{escalation}/claim",
                        headers={"Authorization": f"Bearer {token}"}) for token in tokens])
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    winner = next(answer for answer in answers if answer.status_code == 200).json()
    loser = next(answer for answer in answers if answer.status_code == 409).json()
    assert loser["detail"].startswith(f"{winner['claimed_by_name']} claimed this conversation "
                                      "first")
    assert query(console_app, "select count(*) from audit_events where action = "
                 "'conversation.claimed' and after->>'escalation' = :e",
                 e=str(escalation)) == 1


class Events:
    """The `queue` events of a server-sent event stream, as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self, *, within: float) -> str:
        """The data of the next `queue` event."""
        data: list[str] = []
        event = None
        deadline = time.monotonic() + within
        while True:
            line = await asyncio.wait_for(anext(self.lines),
                                          max(0.1, deadline - time.monotonic()))
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data.append(line.removeprefix("data: "))
            elif line == "" and event is not None:
                if event == "queue":
                    return "\n".join(data)
                event, data = None, []


async def test_the_queue_stream_shows_new_escalations_and_claims_as_they_happen(
    console_app: LiveApp,
) -> None:
    async with httpx.AsyncClient(base_url=console_app.url) as client:
        page = await client.get("/console/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        # The session cookie is Secure: over plain HTTP the client must be told to send it.
        signed = await client.post("/console/login", data={
            "email": AGENT, "password": demo.DEMO_PASSWORD, "csrf_token": csrf,
            "next": "/console/queue"}, headers={"Cookie": f"__Host-lendline-login={csrf}"})
        assert signed.status_code == 303, signed.text
        cookie = signed.cookies["__Host-lendline-session"]
        headers = {"Cookie": f"__Host-lendline-session={cookie}"}
        async with client.stream("GET", "/console/queue/events", headers=headers,
                                 timeout=30) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = Events(stream)
            first = await events.next(within=10)
            conversation, escalation = escalate(console_app, "+18685550202")
            started = time.monotonic()
            arrived = await events.next(within=10)
            assert f'id="escalation-{escalation}"' in arrived
            assert f'id="escalation-{escalation}"' not in first
            assert time.monotonic() - started < 5, "the re-read finds it within seconds"
            claimed = await client.post(
                f"/api/v1/escalations/{escalation}/claim",
                headers={"Authorization": f"Bearer {api_token(console_app, SUPERVISOR)}"})
            assert claimed.status_code == 200
            started = time.monotonic()
            update = await events.next(within=10)
            assert "Claimed by Sita Supervisor" in update
            assert time.monotonic() - started < 1.5, "a claim is announced through Redis"
    assert conversation


async def test_reply_and_hand_back_reach_the_borrower_and_the_agent_resumes(
    console_app: LiveApp,
) -> None:
    conversation, escalation = escalate(console_app, "+18685550203")
    auth = {"Authorization": f"Bearer {api_token(console_app, AGENT)}"}
    base = f"/api/v1/escalations/{escalation}"
    async with httpx.AsyncClient(base_url=console_app.url, headers=auth) as client:
        assert (await client.post(f"{base}/claim")).status_code == 200
        sent = await client.post(f"{base}/reply", json={"body": "Hi, Andre here. How can I "
                                                                "help?"})
        assert sent.status_code == 202, sent.text
        outbox = sent.json()["outbox_id"]
        resolved = await client.post(f"{base}/resolve", json={"action": "hand_back"})
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["escalation"]["status"] == "resolved"
        assert any("back with you" in text for text in resolved.json()["replies"])
        again = await client.post(f"{base}/reply", json={"body": "one more"})
        assert again.status_code == 409
    # No Twilio credentials in tests: the sender leaves WhatsApp rows unsent, but they are
    # in the outbox for the borrower's number with the staff-reply purpose.
    assert query(console_app, "select address || ' ' || purpose from outbox where id = :i",
                 i=outbox) == "+18685550203 staff_reply"
    after = converse(console_app, "whatsapp", "+18685550203", "hello")
    assert not after.escalated and after.texts, "the agent answers again"
    assert query(console_app, "select status from conversations where id = :c",
                 c=conversation) == "active"


@pytest.mark.parametrize("path", ["/console/queue", "/console/queue/events"])
async def test_the_queue_needs_a_signed_in_staff_member(console_app: LiveApp,
                                                        path: str) -> None:
    async with httpx.AsyncClient(base_url=console_app.url) as client:
        answer = await client.get(path)
    assert (answer.status_code, answer.headers["location"]) == (
        303, f"/console/login?next={path.replace('/', '%2F')}")


def escalate_referred(app: LiveApp) -> tuple[int, dict[str, str]]:
    """A customer whose application was referred and who has sent their ID since, escalated
    for it as the agent does; the escalation and what the suggestion should name."""
    facts = dict(zip(("customer", "first_name", "reference", "amount", "term", "product"),
                     query(app, """
        select array[a.customer_id::text, c.first_name, a.reference,
                     to_char(a.requested_amount, 'FM999,999,990.00'),
                     a.requested_term::text, p.name]
        from applications a join customers c on c.id = a.customer_id
        join loan_products p on p.id = a.product_id
        where a.status = 'referred' order by a.id limit 1"""), strict=True))

    async def escalate() -> int:
        async with app.app.state.session_factory() as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            application = await load_by_reference(session, facts["reference"])
            await attach_document(session, application_id=application.id,
                                  document_type="id", filename="id.pdf",
                                  content_type="application/pdf", content=PDF, actor="test",
                                  cipher=app.app.state.field_cipher)
            conversation = await open_conversation(
                session, channel=Channel.WHATSAPP, address="+18685550299", now=now,
                customer_id=int(facts["customer"]))
            escalation = await open_escalation(
                session, conversation_id=conversation.id,
                reason=EscalationReason.REFERRED_APPLICATION,
                detail=f"Application {facts['reference']} was referred.", now=now)
            return escalation.id
    escalation: int = app.run(escalate())
    return escalation, facts


async def test_a_referred_application_suggestion_names_it_and_the_documents_still_needed(
    console_app: LiveApp,
) -> None:
    escalation, facts = escalate_referred(console_app)
    auth = {"Authorization": f"Bearer {api_token(console_app, AGENT)}"}
    async with httpx.AsyncClient(base_url=console_app.url, headers=auth) as client:
        answer = await client.get(f"/api/v1/escalations/{escalation}/suggested-reply")
    assert answer.status_code == 200
    assert answer.json() == {"source": "template", "text": (
        f"Hi {facts['first_name']}, this is Andre from Island Credit Union (demo). Thanks for "
        "your application; a member of our credit team is reviewing it. Your application "
        f"{facts['reference']} for TT${facts['amount']} over {facts['term']} months "
        f"({facts['product']}) is with us. To finish the review we need:\n"
        "- Your latest payslip, as proof of the income you declared.\n"
        "You can send them here.")}
