"""The staff API's twins of the console's takeover: /api/v1/escalations."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.models import OutboxMessage
from tests.console.queue.world import PASSWORD, PHONE, counts, world


async def test_list_claim_and_the_race_loser_gets_409(
    api: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    andre, colette = (w.andre.email, PASSWORD), (w.colette.email, PASSWORD)
    listed = await api.get("/api/v1/escalations", auth=andre)
    assert listed.status_code == 200
    [row] = listed.json()
    assert {k: row[k] for k in ("id", "conversation_id", "channel", "customer_name", "reason",
                                "priority", "status", "claimed_by")} == {
        "id": w.escalation.id, "conversation_id": w.conversation.id, "channel": "whatsapp",
        "customer_name": "Asha Ramdial", "reason": "requested", "priority": 2,
        "status": "waiting", "claimed_by": None}
    won = await api.post(f"/api/v1/escalations/{w.escalation.id}/claim", auth=andre)
    assert won.status_code == 200, won.text
    assert (won.json()["status"], won.json()["claimed_by_name"]) == ("claimed", "Andre Agent")
    lost = await api.post(f"/api/v1/escalations/{w.escalation.id}/claim", auth=colette)
    assert lost.status_code == 409
    assert lost.json()["error"] == "conflict"
    assert lost.json()["detail"].startswith("Andre Agent claimed this conversation first")
    missing = await api.post("/api/v1/escalations/999999/claim", auth=andre)
    assert (missing.status_code, missing.json()["detail"]) == (
        404, "There is no escalation 999999.")


async def test_detail_reply_note_and_transfer(api: httpx.AsyncClient,
                                              session: AsyncSession) -> None:
    w = await world(session, last_inbound=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))
    andre = (w.andre.email, PASSWORD)
    base = f"/api/v1/escalations/{w.escalation.id}"
    await api.post(f"{base}/claim", auth=andre)

    detail = (await api.get(base, auth=andre)).json()
    assert [(e["kind"], e["channel"], e["text"]) for e in detail["transcript"]][:2] == [
        ("message", "web", "hi from the web"), ("message", "whatsapp", "I want a person")]
    window = detail["whatsapp_window"]
    assert (window["open"], window["sendable"], window["template"]) == (False, False, None)

    before = await counts(session)
    refused = await api.post(f"{base}/reply", json={"body": "Hi Asha"}, auth=andre)
    assert refused.status_code == 422
    assert "no approved WhatsApp template" in refused.json()["detail"]
    assert await counts(session) == before

    api_app = api._transport.app  # type: ignore[attr-defined]
    api_app.state.settings.whatsapp_templates["staff_reply"] = "HX" + "2" * 32
    try:
        sent = await api.post(f"{base}/reply", json={"body": "Hi Asha, Andre here."},
                              auth=andre)
    finally:
        del api_app.state.settings.whatsapp_templates["staff_reply"]
    assert sent.status_code == 202, sent.text
    row = await session.get_one(OutboxMessage, sent.json()["outbox_id"])
    assert (row.address, row.body, row.purpose, row.status.value) == (
        PHONE, "Hi Asha, Andre here.", "staff_reply", "pending")

    noted = await api.post(f"{base}/notes", json={"body": "Prefers mornings."}, auth=andre)
    assert noted.status_code == 201
    assert noted.json()["body"] == "Prefers mornings."
    assert await session.scalar(select(OutboxMessage).where(
        OutboxMessage.body == "Prefers mornings.")) is None
    empty = await api.post(f"{base}/notes", json={"body": ""}, auth=andre)
    assert empty.status_code == 422

    moved = await api.post(f"{base}/transfer", json={"staff_id": w.colette.id}, auth=andre)
    assert moved.status_code == 200, moved.text
    assert moved.json()["claimed_by_name"] == "Colette Collector"
    again = await api.post(f"{base}/reply", json={"body": "me again"}, auth=andre)
    assert (again.status_code, again.json()["detail"]) == (
        409, "Colette Collector has this conversation; only they or a supervisor may reply "
             "to it.")
    transcript = (await api.get(base, auth=andre)).json()["transcript"]
    assert [e["text"] for e in transcript if e["kind"] in ("event", "note")] == [
        "Escalated to staff (requested): “I want a person”", "Claimed by Andre Agent",
        "Transferred to Colette Collector by Andre Agent", "Prefers mornings."]
    staff_message = next(e for e in transcript if e["author"] == "staff"
                         and e["kind"] == "message")
    assert (staff_message["by"], staff_message["delivery"]) == ("Andre Agent", "pending")


async def test_the_suggested_reply_comes_from_templates_without_an_llm(
    api: httpx.AsyncClient, session: AsyncSession,
) -> None:
    w = await world(session)
    answer = await api.get(f"/api/v1/escalations/{w.escalation.id}/suggested-reply",
                           auth=(w.andre.email, PASSWORD))
    assert answer.status_code == 200
    assert answer.json() == {
        "source": "template",
        "text": "Hi Asha, this is Andre from Island Credit Union (demo). I have your "
                "conversation now and I've read it through. You wrote: “I want a person”. "
                "How can I help?"}
