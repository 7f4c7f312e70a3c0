"""The knowledge base over the staff API, the console page's twin: list documents, read one
with its passages and the conversations that cited it, upload, re-index one or all, remove
an upload; and the passages a conversation's agent answers cited.

Documents need `knowledge.manage`; a conversation's citations need `conversations.view`.
Upload and re-index run in the request and answer with the ingest's counts and the time
taken. Refusals (type, size, empty, name taken, unreadable file) are 422 or 409 with the
reason, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from pydantic import BaseModel, Field

from admin.auth import require
from admin.console.knowledge import knowledge_embedder, read_upload
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.conversations.timeline import timeline
from core.staff.models import StaffUser
from knowledge import cited, library
from knowledge.ingest import IngestReport, reindex

router = APIRouter(prefix="/knowledge", tags=["knowledge"])

Manager = Annotated[StaffUser, Depends(require(P.KNOWLEDGE_MANAGE))]
VIEW_CONVERSATIONS = [Depends(require(P.CONVERSATIONS_VIEW))]
DocumentFile = Annotated[UploadFile | None, File(
    description=f"{library.SUPPORTED}; at most {library.MAX_UPLOAD_BYTES // 2**20} MB.")]


class DocumentOut(BaseModel):
    id: int
    collection: str = Field(description="`uploads` for staff uploads; `bundled` for the "
                                        "content shipped with Lendline.")
    source: str = Field(description="The file's name (its path inside a synced folder).")
    title: str
    format: str = Field(description="md, html, pdf or txt")
    version: str = Field(description="The start of the file's SHA-256.")
    effective: dt.date | None
    products: list[str]
    language: str
    created_at: dt.datetime
    updated_at: dt.datetime
    chunks: int
    stale_chunks: int = Field(description="Passages embedded by another embedder; search "
                                          "skips them until re-indexed.")
    status: str = Field(description="indexed, needs re-index or no passages")
    last_indexed: dt.datetime = Field(description="The later of the last change and the "
                                                     "last re-index.")

    @classmethod
    def of(cls, document: library.DocumentSummary) -> DocumentOut:
        return cls(id=document.id, collection=document.collection, source=document.source,
                   title=document.title, format=document.format, version=document.version,
                   effective=document.effective, products=list(document.products),
                   language=document.language, created_at=document.created_at,
                   updated_at=document.updated_at, chunks=document.chunks,
                   stale_chunks=document.stale_chunks, status=document.status,
                   last_indexed=document.last_indexed)


class PassageOut(BaseModel):
    position: int
    section: str
    text: str
    embedding_model: str


class CitingOut(BaseModel):
    conversation_id: int
    channel: str
    answers: int
    last_cited_at: dt.datetime
    sections: list[str]


class DocumentDetailOut(BaseModel):
    document: DocumentOut
    passages: list[PassageOut]
    cited_in: list[CitingOut]


class FileErrorOut(BaseModel):
    source: str
    message: str


class ReportOut(BaseModel):
    """What the ingest did, as `knowledge.ingest.IngestReport` counts it."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    errors: list[FileErrorOut]
    chunks_embedded: int
    chunks_reembedded: int
    chunks_deleted: int
    summary: str
    elapsed_ms: int

    @classmethod
    def of(cls, report: IngestReport, started: float) -> ReportOut:
        return cls(added=report.added, updated=report.updated, unchanged=report.unchanged,
                   removed=report.removed,
                   errors=[FileErrorOut(source=e.source, message=e.message)
                           for e in report.errors],
                   chunks_embedded=report.chunks_embedded,
                   chunks_reembedded=report.chunks_reembedded,
                   chunks_deleted=report.chunks_deleted, summary=report.summary(),
                   elapsed_ms=round((time.perf_counter() - started) * 1000))


class UploadOut(BaseModel):
    document: DocumentOut
    report: ReportOut


class RemovedOut(BaseModel):
    document: DocumentOut
    chunks_deleted: int


class CitedPassageOut(BaseModel):
    citation: str = Field(description="The answer's line, 'Source: title — section'.")
    document_id: int | None = Field(description="None: no longer in the knowledge base.")
    source: str | None
    section: str | None
    text: str | None


class CitedAnswerOut(BaseModel):
    conversation_id: int
    at: dt.datetime
    channel: str
    answer: str
    passages: list[CitedPassageOut]


@router.get("/documents")
async def list_documents(request: Request, session: SessionDep,
                         _: Manager) -> list[DocumentOut]:
    """Every document of the knowledge base, by collection and source."""
    documents = await library.list_documents(session, embedder=knowledge_embedder(request))
    return [DocumentOut.of(document) for document in documents]


@router.post("/documents", status_code=status.HTTP_201_CREATED)
async def upload_document(
    request: Request, session: SessionDep, staff: Manager,
    file: DocumentFile = None,
    replace: Annotated[bool, Form(description="Replace the upload of the same name.")] = False,
) -> UploadOut:
    """Add a document to the `uploads` collection (multipart: `file`, optional `replace`);
    it is searchable when this returns."""
    started = time.perf_counter()
    name, data = await read_upload(file)
    uploaded = await library.upload_document(
        session, filename=name, data=data, embedder=knowledge_embedder(request),
        replace=replace, actor=f"staff:{staff.id}")
    return UploadOut(document=DocumentOut.of(uploaded.document),
                     report=ReportOut.of(uploaded.report, started))


@router.get("/documents/{document_id}")
async def get_document(document_id: int, request: Request, session: SessionDep,
                       _: Manager) -> DocumentDetailOut:
    """One document with its passages and the conversations whose answers cited it."""
    document = await library.get_document(session, document_id=document_id,
                                          embedder=knowledge_embedder(request))
    passages = await library.document_chunks(session, document_id=document_id)
    citing = await cited.citing_conversations(session, document_id=document_id)
    return DocumentDetailOut(
        document=DocumentOut.of(document),
        passages=[PassageOut(position=p.position, section=p.section, text=p.text,
                             embedding_model=p.embedding_model) for p in passages],
        cited_in=[CitingOut(conversation_id=c.conversation_id, channel=c.channel.value,
                            answers=c.answers, last_cited_at=c.last_cited_at,
                            sections=list(c.sections)) for c in citing])


@router.post("/documents/{document_id}/reindex")
async def reindex_document(document_id: int, request: Request, session: SessionDep,
                           staff: Manager) -> ReportOut:
    """Re-embed the document's passages with the configured embedder."""
    started = time.perf_counter()
    report = await reindex(session, embedder=knowledge_embedder(request),
                           document_id=document_id, actor=f"staff:{staff.id}")
    return ReportOut.of(report, started)


@router.delete("/documents/{document_id}")
async def remove_document(document_id: int, session: SessionDep, staff: Manager) -> RemovedOut:
    """Remove an uploaded document and its passages (409 for a synced folder's document)."""
    document, chunks = await library.remove_upload(session, document_id=document_id,
                                                   actor=f"staff:{staff.id}")
    return RemovedOut(document=DocumentOut.of(document), chunks_deleted=chunks)


@router.post("/reindex")
async def reindex_everything(request: Request, session: SessionDep,
                             staff: Manager) -> ReportOut:
    """Re-embed every passage of the knowledge base with the configured embedder."""
    started = time.perf_counter()
    report = await reindex(session, embedder=knowledge_embedder(request),
                           actor=f"staff:{staff.id}")
    return ReportOut.of(report, started)


@router.get("/conversations/{conversation_id}/citations", dependencies=VIEW_CONVERSATIONS)
async def conversation_citations(conversation_id: int,
                                 session: SessionDep) -> list[CitedAnswerOut]:
    """The agent answers of the conversation (and the customer's other conversations, as
    the transcript shows them) that cited the knowledge base, with the passages quoted."""
    view = await timeline(session, conversation_id=conversation_id)
    answers = []
    for entry in view.entries:
        if not entry.citations:
            continue
        found = await cited.cited_passages(session, answer=entry.text, cited=entry.citations)
        answers.append(CitedAnswerOut(
            conversation_id=entry.conversation_id, at=entry.at, channel=entry.channel.value,
            answer=entry.text, passages=[CitedPassageOut(
                citation=line, document_id=p.document_id if p else None,
                source=p.source if p else None, section=p.section if p else None,
                text=p.text if p else None) for line, p in found]))
    return answers
