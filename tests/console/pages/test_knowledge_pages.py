"""The knowledge base page on the real server: the bundled documents listed with their
counts, a Markdown document uploaded through the form and then found by the agent's search,
re-indexed and removed; the passages a conversation cited, both ways round."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import escape

from knowledge.embedding import embedder_from_settings
from knowledge.library import DocumentSummary, get_document
from knowledge.search import SearchResult, search
from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import AGENT, SUPERVISOR, execute, staff_client

SAVINGS = """---
title: Christmas savings club
products: [PERSONAL]
---
# Christmas savings club

## Interest

The Christmas savings club pays 3.5% a year on balances over TT$500, credited every December.

## Joining

Any borrower with a loan in good standing can join at a branch or on WhatsApp.
"""
QUESTION = "what interest does the christmas savings club pay?"
DONE = re.compile(r"/console/knowledge/(\d+)\?done=(\w+)&chunks=(\d+)&ms=(\d+)$")


def ask(app: LiveApp, question: str) -> SearchResult:
    async def run() -> SearchResult:
        async with app.app.state.session_factory() as session:
            return await search(session, question, embedder=embedder_from_settings(app.settings))
    result: SearchResult = app.run(run())
    return result


def summarise(app: LiveApp, document: int) -> DocumentSummary:
    async def run() -> DocumentSummary:
        async with app.app.state.session_factory() as session:
            return await get_document(session, document_id=document,
                                      embedder=embedder_from_settings(app.settings))
    summary: DocumentSummary = app.run(run())
    return summary


def ui_when(value: dt.datetime) -> str:
    """What the `ui.when` macro renders for `value`."""
    return f'<time datetime="{value.isoformat()}">{value:%Y-%m-%d %H:%M} UTC</time>'


def counts(app: LiveApp) -> tuple[Any, Any]:
    return (query(app, "SELECT count(*) FROM knowledge_documents"),
            query(app, "SELECT count(*) FROM knowledge_chunks"))


async def test_the_list_shows_every_document_with_its_passages(pages_app: LiveApp) -> None:
    documents, chunks = counts(pages_app)
    late_fees = query(pages_app, "SELECT id FROM knowledge_documents WHERE source = "
                                 "'late-fees.md'")
    passages = query(pages_app, "SELECT count(*) FROM knowledge_chunks WHERE document_id = :id",
                     id=late_fees)
    async with staff_client(pages_app, SUPERVISOR) as client:
        page = await client.get("/console/knowledge")
        document = await client.get(f"/console/knowledge/{late_fees}")
    assert page.status_code == 200
    assert f"<b>{documents}</b><span>documents</span>" in page.text
    assert f"<b>{chunks}</b><span>passages</span>" in page.text
    assert page.text.count('<a href="/console/knowledge/') == documents
    assert "bundled/late-fees.md" in page.text and ">indexed</span>" in page.text
    assert 'href="/console/knowledge"' in page.text  # the navigation shows the section
    assert document.status_code == 200
    assert document.text.count('<article class="passage">') == passages
    assert "Synced from the bundled folder" in document.text  # no Remove button
    assert "/remove" not in document.text


async def test_upload_search_reindex_and_remove(pages_app: LiveApp) -> None:
    before = counts(pages_app)
    assert "savings club" not in " ".join(p.text for p in ask(pages_app, QUESTION).passages)
    async with staff_client(pages_app, SUPERVISOR) as client:
        uploaded = await client.post(
            "/console/knowledge/upload", data={"csrf_token": client.csrf},
            files={"file": ("savings-club.md", SAVINGS.encode(), "text/markdown")})
        assert uploaded.status_code == 303, uploaded.text
        found = DONE.search(uploaded.headers["location"])
        assert found and found.group(2) == "added" and found.group(3) == "2"
        document = int(found.group(1))
        page = await client.get(uploaded.headers["location"])
        assert "Added to the knowledge base: 2 passages embedded in " in page.text
        assert "uploads/savings-club.md" in page.text and ">indexed</span>" in page.text
        assert "credited every December" in page.text

        result = ask(pages_app, QUESTION)
        assert result.confident and result.best is not None
        assert (result.best.source, result.best.section) == ("savings-club.md", "Interest")

        again = await client.post(f"/console/knowledge/{document}/reindex",
                                  data={"csrf_token": client.csrf})
        assert again.status_code == 303
        assert "done=reindexed&documents=1&chunks=2" in again.headers["location"]
        shown = await client.get(again.headers["location"])
        assert "Re-indexed 1 documents: 2 passages re-embedded in " in shown.text
        summary = summarise(pages_app, document)
        reindexed_at = query(pages_app, "SELECT max(at) FROM audit_events WHERE action = "
                                        "'knowledge.document_reindexed' AND entity_id = :id",
                             id=str(document))
        assert summary.last_indexed == reindexed_at > summary.updated_at
        assert f'<dt>Last indexed</dt><dd>{ui_when(reindexed_at)}' in shown.text
        everything = await client.post("/console/knowledge/reindex",
                                       data={"csrf_token": client.csrf})
        documents, chunks = counts(pages_app)
        assert (f"done=reindexed&documents={documents}&chunks={chunks}"
                in everything.headers["location"])
        assert query(pages_app, "SELECT count(*) FROM audit_events WHERE action = "
                                "'knowledge.document_reindexed' AND entity_id = :id",
                     id=str(document)) == 2

        removed = await client.post(f"/console/knowledge/{document}/remove",
                                    data={"csrf_token": client.csrf})
        assert removed.status_code == 303
        assert "done=removed&chunks=2" in removed.headers["location"]
        listed = await client.get(removed.headers["location"])
    assert "The document and its 2 passages were removed." in listed.text
    assert "savings-club.md" not in listed.text
    assert counts(pages_app) == before
    assert all(p.source != "savings-club.md" for p in ask(pages_app, QUESTION).passages)


async def test_cited_passages_both_ways(pages_app: LiveApp) -> None:
    late_fees, title, section, text = (query(pages_app, f"""
        SELECT {column} FROM knowledge_chunks c JOIN knowledge_documents d
          ON d.id = c.document_id
        WHERE d.source = 'late-fees.md' AND c.section <> '' ORDER BY c.position LIMIT 1""")
        for column in ("d.id", "c.title", "c.section", "c.text"))
    conversation = execute(pages_app, """
        INSERT INTO conversations (channel, address, status, last_activity_at)
        VALUES ('web', 'kb-cited-test', 'closed', now()) RETURNING id""")
    execute(pages_app, """
        INSERT INTO conversation_messages (conversation_id, channel, direction, author, body)
        VALUES (:id, 'web', 'outbound', 'agent', :body) RETURNING id""",
        id=conversation, body=f"{text[:80]}\n\n(Source: {title} — {section})")
    async with staff_client(pages_app, SUPERVISOR) as client:
        transcript = await client.get(f"/console/conversations/{conversation}")
        cited = await client.get(f"/console/conversations/{conversation}/citations")
        document = await client.get(f"/console/knowledge/{late_fees}")
    assert "Cited passages (1 answers)" in transcript.text
    assert cited.status_code == 200
    assert (f'<a href="/console/knowledge/{late_fees}">{escape(title)}</a> — {escape(section)}'
            in cited.text)
    assert "bundled/late-fees.md, passage" in cited.text
    assert f'href="/console/conversations/{conversation}/citations"' in document.text
    async with staff_client(pages_app, AGENT) as agent:
        shown = await agent.get(f"/console/conversations/{conversation}/citations")
        refused = await agent.get(f"/console/knowledge/{late_fees}")
    assert shown.status_code == 200 and f"{escape(title)} — {escape(section)}" in shown.text
    assert "/console/knowledge/" not in shown.text  # no link to a page the agent may not open
    assert refused.status_code == 403
