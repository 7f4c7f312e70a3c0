"""Uploading to the knowledge base, in-process on the test's transaction: every bad upload
gets its own clear error and writes nothing (documents, passages, audit events), through
the console form and the JSON API alike; good uploads are searchable at once."""

from __future__ import annotations

import html

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Direction,
)
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from core.staff.models import Role, StaffUser
from knowledge.embedding import HashingEmbedder
from knowledge.ingest import BUNDLED, ingest_upload
from knowledge.library import MAX_UPLOAD_BYTES
from knowledge.search import search
from tests.console.security.conftest import app, browser, email_of, people, signed_in

__all__ = ["app", "browser", "people"]  # fixtures used by name

SAVINGS = b"""# Christmas savings club

## Interest

The Christmas savings club pays 3.5% a year on balances over TT$500.

## Joining

Any borrower with a loan in good standing can join at a branch.
"""
SUPPORTED = ".htm, .html, .markdown, .md, .pdf, .txt"
BAD_UPLOADS = [
    ("rates.docx", b"PK\x03\x04 a word document", 422,
     f"rates.docx: this type of file cannot be added to the knowledge base (supported: "
     f"{SUPPORTED})."),
    ("huge.md", b"# Huge\n\n" + b"x" * MAX_UPLOAD_BYTES, 422,
     "huge.md is over 5 MB, the most a knowledge base document may be."),
    ("empty.md", b" \n\n ", 422, "empty.md: the file is empty."),
    ("broken.pdf", b"%PDF-1.4 truncated", 422, "broken.pdf: "),
    ("bad.md", b"---\ntitle: [unclosed\n---\n# Bad\n\nText.", 422,
     "bad.md: the front matter is not valid YAML"),
    ("many.md", "".join(f"## Rule {n}\n\nRule {n} applies.\n\n" for n in range(201)).encode(),
     422, "many.md makes 201 passages; one upload may make at most 200, so that it is indexed "
          "while you wait. Split it into smaller documents."),
]
NAMELESS = ("", b"", 422, "Choose a file to upload.")  # the form sent without a file


async def written(session: AsyncSession) -> tuple[int | None, ...]:
    """What an upload could have written: documents, passages, knowledge audit events."""
    return tuple([await session.scalar(select(func.count()).select_from(table).where(*where))
                  for table, where in (
                      (KnowledgeDocument, ()), (KnowledgeChunk, ()),
                      (AuditEvent, (AuditEvent.entity_type == "knowledge_document",)))])


async def console_upload(browser: httpx.AsyncClient, token: str, name: str, data: bytes,
                         *, replace: bool = False) -> httpx.Response:
    form = {"csrf_token": token, **({"replace": "true"} if replace else {})}
    return await browser.post("/console/knowledge/upload", data=form,
                              files={"file": (name, data, "application/octet-stream")})


@pytest.mark.parametrize(("name", "data", "status", "message"), [*BAD_UPLOADS, NAMELESS])
async def test_a_bad_upload_on_the_page_says_why_and_writes_nothing(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession,
    name: str, data: bytes, status: int, message: str,
) -> None:
    token = await signed_in(browser, email_of(Role.SUPERVISOR))
    before = await written(session)
    answer = await console_upload(browser, token, name, data)
    assert answer.status_code == status
    assert f'<p class="error" role="alert">{html.escape(message, quote=False)}' in answer.text
    assert 'id="upload-document"' in answer.text  # the form is there to try again
    assert await written(session) == before


async def test_a_taken_name_is_refused_unless_replacing_that_upload(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession,
) -> None:
    await ingest_upload(session, filename="late-fees.md", data=b"# Late fees\n\nTT$100.",
                        embedder=HashingEmbedder(), collection=BUNDLED)
    token = await signed_in(browser, email_of(Role.SUPERVISOR))
    first = await console_upload(browser, token, "savings.md", SAVINGS)
    assert first.status_code == 303 and "done=added&chunks=2" in first.headers["location"]
    before = await written(session)
    again = await console_upload(browser, token, "Savings.md", SAVINGS + b"\nMore.")
    assert again.status_code == 409
    assert ("Savings.md: a document named savings.md (Christmas savings club) was uploaded "
            "already.") in again.text
    bundled = await console_upload(browser, token, "LATE-FEES.md", SAVINGS, replace=True)
    assert bundled.status_code == 409
    assert ("LATE-FEES.md: the bundled collection already has a document of that name "
            "(Late fees). Rename the file to add it as well.") in bundled.text
    assert await written(session) == before

    changed = SAVINGS.replace(b"3.5%", b"4%")
    replaced = await console_upload(browser, token, "savings.md", changed, replace=True)
    assert replaced.status_code == 303
    assert "done=updated&chunks=1" in replaced.headers["location"]  # one section changed
    same = await console_upload(browser, token, "savings.md", changed, replace=True)
    assert "done=unchanged" in same.headers["location"]
    page = await browser.get(same.headers["location"])
    assert "That file is the version already stored; nothing changed." in page.text


async def test_the_api_uploads_lists_reindexes_and_removes(
    api: httpx.AsyncClient, session: AsyncSession,
) -> None:
    uploaded = await api.post("/api/v1/knowledge/documents",
                              files={"file": ("savings.md", SAVINGS, "text/markdown")})
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    document = body["document"]
    assert (document["collection"], document["source"], document["chunks"],
            document["status"]) == ("uploads", "savings.md", 2, "indexed")
    assert body["report"]["added"] == ["savings.md"]
    assert body["report"]["chunks_embedded"] == 2 and body["report"]["elapsed_ms"] >= 0

    result = await search(session, "what interest does the christmas savings club pay?",
                          embedder=HashingEmbedder())
    assert result.confident and result.best is not None
    assert (result.best.source, result.best.section) == ("savings.md", "Interest")

    listed = await api.get("/api/v1/knowledge/documents")
    assert [d["id"] for d in listed.json() if d["source"] == "savings.md"] == [document["id"]]
    detail = (await api.get(f"/api/v1/knowledge/documents/{document['id']}")).json()
    assert [p["section"] for p in detail["passages"]] == ["Interest", "Joining"]
    assert detail["cited_in"] == []

    one = await api.post(f"/api/v1/knowledge/documents/{document['id']}/reindex")
    assert one.status_code == 200
    assert (one.json()["updated"], one.json()["chunks_reembedded"]) == (["uploads/savings.md"], 2)
    everything = (await api.post("/api/v1/knowledge/reindex")).json()
    total = await session.scalar(select(func.count()).select_from(KnowledgeChunk))
    assert everything["chunks_reembedded"] == total
    assert "uploads/savings.md" in everything["updated"]

    removed = await api.delete(f"/api/v1/knowledge/documents/{document['id']}")
    assert removed.status_code == 200
    assert removed.json()["chunks_deleted"] == 2
    gone = await api.get(f"/api/v1/knowledge/documents/{document['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"error": "not_found",
                           "detail": f"There is no knowledge base document {document['id']}."}


@pytest.mark.parametrize(("name", "data", "status", "message"), BAD_UPLOADS)
async def test_a_bad_upload_over_the_api_is_refused_with_nothing_written(
    api: httpx.AsyncClient, session: AsyncSession, name: str, data: bytes, status: int,
    message: str,
) -> None:
    before = await written(session)
    answer = await api.post("/api/v1/knowledge/documents", files={"file": (name, data)})
    assert answer.status_code == status
    assert answer.json()["error"] == "invalid"
    assert answer.json()["detail"].startswith(message)
    assert await written(session) == before


async def test_the_api_refuses_a_duplicate_and_removing_bundled_content(
    api: httpx.AsyncClient, session: AsyncSession,
) -> None:
    await ingest_upload(session, filename="late-fees.md", data=b"# Late fees\n\nTT$100.",
                        embedder=HashingEmbedder(), collection=BUNDLED)
    bundled = await session.scalar(select(KnowledgeDocument.id).where(
        KnowledgeDocument.source == "late-fees.md"))
    before = await written(session)
    duplicate = await api.post("/api/v1/knowledge/documents",
                               files={"file": ("late-fees.md", SAVINGS)}, data={"replace": "true"})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "conflict"
    refused = await api.delete(f"/api/v1/knowledge/documents/{bundled}")
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("Late fees comes from the bundled folder and would "
                                        "come back at the next start: remove the file from "
                                        "that folder instead.")
    assert await written(session) == before


async def test_the_api_shows_a_conversation_s_cited_passages(
    api: httpx.AsyncClient, session: AsyncSession,
) -> None:
    await ingest_upload(session, filename="savings.md", data=SAVINGS, embedder=HashingEmbedder())
    conversation = Conversation(channel=Channel.SMS, address="+18685550199",
                                status=ConversationStatus.ACTIVE,
                                last_activity_at=await session.scalar(select(func.now())))
    session.add(conversation)
    await session.flush()
    for author, body in ((Author.BORROWER, "what does the savings club pay?"),
                         (Author.AGENT, "It pays 3.5% a year.\n\n"
                                        "(Source: Christmas savings club — Interest)")):
        session.add(ConversationMessage(
            conversation_id=conversation.id, channel=Channel.SMS, body=body, author=author,
            direction=Direction.INBOUND if author is Author.BORROWER else Direction.OUTBOUND))
    await session.flush()
    answers = (await api.get(
        f"/api/v1/knowledge/conversations/{conversation.id}/citations")).json()
    assert len(answers) == 1 and answers[0]["channel"] == "sms"
    [passage] = answers[0]["passages"]
    assert passage["citation"] == "Source: Christmas savings club — Interest"
    assert passage["section"] == "Interest" and "3.5% a year" in passage["text"]
