"""The services behind the knowledge base page, on the test's transaction: the document list
and its state, re-indexing (forced re-embedding, audited), and citations matched to passages
both ways (an answer's passages, a document's conversations)."""

from __future__ import annotations

import datetime as dt
import itertools

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
from core.errors import ConflictError, NotFoundError
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge import cited, library
from knowledge.documents import DocumentError
from knowledge.embedding import EmbeddingError, HashingEmbedder
from knowledge.ingest import BUNDLED, ingest_upload, reindex
from tests.knowledge_support import CountingEmbedder

FEES = b"""---
title: Savings club rules
products: [PERSONAL]
---
# Savings club rules

## Interest

The Christmas savings club pays 3.5% a year on balances over TT$500.

## Withdrawals

You may withdraw once a quarter without notice.
"""
ADDRESSES = itertools.count()
LONG_SECTION = "# Long rules\n\n## Terms\n\n" + " ".join(
    f"Rule {n} says members must keep record number {n} for seven years." for n in range(60))


async def add_answer(session: AsyncSession, body: str, *, author: Author = Author.AGENT) -> int:
    conversation = Conversation(channel=Channel.WEB, address=f"kb-test-{next(ADDRESSES)}",
                                status=ConversationStatus.ACTIVE,
                                last_activity_at=dt.datetime.now(dt.UTC))
    session.add(conversation)
    await session.flush()
    session.add(ConversationMessage(conversation_id=conversation.id, channel=Channel.WEB,
                                    direction=Direction.OUTBOUND, author=author, body=body))
    await session.flush()
    return conversation.id


async def test_the_list_counts_passages_and_flags_stale_vectors(session: AsyncSession) -> None:
    old, new = CountingEmbedder("old-model"), CountingEmbedder("new-model")
    await ingest_upload(session, filename="savings.md", data=FEES, embedder=old)
    [before] = [d for d in await library.list_documents(session, embedder=new)
                if d.source == "savings.md"]
    assert (before.chunks, before.stale_chunks, before.status) == (2, 2, "needs re-index")
    assert before.title == "Savings club rules" and before.products == ("PERSONAL",)
    assert before.removable and before.last_indexed == before.updated_at
    current = await library.get_document(session, document_id=before.id, embedder=old)
    assert (current.stale_chunks, current.status) == (0, "indexed")


async def test_reindex_re_embeds_every_passage_of_one_document(session: AsyncSession) -> None:
    embedder = CountingEmbedder()
    upload = await ingest_upload(session, filename="savings.md", data=FEES, embedder=embedder)
    assert upload.added == ["savings.md"]
    other = await ingest_upload(session, filename="other.md", data=LONG_SECTION.encode(),
                                embedder=embedder)
    assert other.added == ["other.md"]
    [document] = [d for d in await library.list_documents(session, embedder=embedder)
                  if d.source == "savings.md"]
    embedder.embedded.clear()
    report = await reindex(session, embedder=embedder, document_id=document.id, actor="staff:7")
    assert report.updated == ["uploads/savings.md"]
    assert report.chunks_reembedded == 2 and len(embedder.embedded) == 2
    assert embedder.embedded[0].startswith("Savings club rules — Interest")
    event = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "knowledge.document_reindexed",
        AuditEvent.entity_id == str(document.id)))
    assert event is not None and event.actor == "staff:7"
    assert event.after == {"chunks": 2, "embedding_model": "test-hashing", "embedding_dim": 512}


async def test_reindex_everything_switches_the_whole_base_to_the_embedder(
    session: AsyncSession,
) -> None:
    await ingest_upload(session, filename="savings.md", data=FEES, embedder=CountingEmbedder("old"))
    await ingest_upload(session, filename="other.md", data=LONG_SECTION.encode(),
                        embedder=CountingEmbedder("old"))
    total = await session.scalar(select(func.count()).select_from(KnowledgeChunk))
    documents = len(await library.list_documents(session, embedder=CountingEmbedder()))
    report = await reindex(session, embedder=CountingEmbedder("fresh"), batch_size=3)
    assert len(report.updated) == documents and report.chunks_reembedded == total
    assert total is not None and total > 4  # several batches of three
    stale = await session.scalar(select(func.count()).select_from(KnowledgeChunk).where(
        KnowledgeChunk.embedding_model != "fresh"))
    assert stale == 0


async def test_reindex_of_an_unknown_document_is_refused(session: AsyncSession) -> None:
    with pytest.raises(NotFoundError, match=r"There is no knowledge base document 999999\."):
        await reindex(session, embedder=CountingEmbedder(), document_id=999999)


async def test_only_uploads_can_be_removed(session: AsyncSession) -> None:
    embedder = CountingEmbedder()
    await ingest_upload(session, filename="savings.md", data=FEES, embedder=embedder,
                        collection=BUNDLED)
    upload = await library.upload_document(session, filename="mine.md", data=FEES,
                                           embedder=embedder, actor="staff:7")
    bundled = next(d for d in await library.list_documents(session, embedder=embedder)
                   if d.collection == BUNDLED and d.source == "savings.md")
    with pytest.raises(ConflictError, match="comes from the bundled folder"):
        await library.remove_upload(session, document_id=bundled.id)
    removed, chunks = await library.remove_upload(session, document_id=upload.document.id)
    assert (removed.source, chunks) == ("mine.md", 2)
    with pytest.raises(NotFoundError):
        await library.get_document(session, document_id=upload.document.id, embedder=embedder)


async def test_an_answer_s_citation_finds_the_passage_it_quoted(session: AsyncSession) -> None:
    embedder = CountingEmbedder()
    await ingest_upload(session, filename="long.md", data=LONG_SECTION.encode(),
                        embedder=embedder)
    pieces = (await session.scalars(select(KnowledgeChunk).where(
        KnowledgeChunk.section == "Terms").order_by(KnowledgeChunk.position))).all()
    assert len(pieces) >= 2, "the long section is cut into several chunks, one citation"
    answer = "Rule 55 says members must keep record number 55 for seven years."
    line = "Source: Long rules — Terms"
    [(found_line, passage)] = await cited.cited_passages(session, answer=f"{answer}\n\n({line})",
                                                         cited=[line])
    assert found_line == line and passage is not None
    assert passage.text == pieces[-1].text and "record number 55" in passage.text
    [(_, gone)] = await cited.cited_passages(session, answer="x", cited=["Source: Gone — Away"])
    assert gone is None


async def test_a_document_lists_the_conversations_that_cited_it(session: AsyncSession) -> None:
    embedder = CountingEmbedder()
    upload = await library.upload_document(session, filename="savings.md", data=FEES,
                                           embedder=embedder)
    first = await add_answer(session, "The club pays 3.5% a year.\n\n"
                                      "(Source: Savings club rules — Interest)")
    await add_answer(session, "Nothing to do with it.\n\n(Source: Late fees — Amounts)")
    await add_answer(session, "(Source: Savings club rules — Interest)", author=Author.BORROWER)
    second = await add_answer(session, "Once a quarter.\n\n"
                                       "(Source: Savings club rules — Withdrawals)")
    session.add(ConversationMessage(conversation_id=second, channel=Channel.WEB,
                                    direction=Direction.OUTBOUND, author=Author.AGENT,
                                    body="3.5%.\n\n(Source: Savings club rules — Interest)"))
    await session.flush()
    citing = await cited.citing_conversations(session, document_id=upload.document.id)
    assert [(c.conversation_id, c.answers) for c in citing] == [(second, 2), (first, 1)]
    assert set(citing[0].sections) == {"Withdrawals", "Interest"}
    assert citing[1].sections == ("Interest",) and citing[1].channel is Channel.WEB


class FailingEmbedder(HashingEmbedder):
    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise EmbeddingError("The embedding service did not answer; try again later.")


async def test_an_upload_the_embedder_fails_on_leaves_nothing_behind(
    session: AsyncSession,
) -> None:
    async def written() -> tuple[int | None, ...]:
        return tuple([await session.scalar(select(func.count()).select_from(table))
                      for table in (KnowledgeDocument, KnowledgeChunk, AuditEvent)])

    before = await written()
    with pytest.raises(DocumentError, match="The embedding service did not answer"):
        await library.upload_document(session, filename="savings.md", data=FEES,
                                      embedder=FailingEmbedder())
    assert await written() == before
