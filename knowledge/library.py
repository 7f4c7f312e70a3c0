"""The knowledge base as staff manage it: its documents with chunk counts and state, one
document's chunks, a checked upload and the removal of an uploaded document.

Staff content goes through `ingest_upload` into the `uploads` collection: PostgreSQL keeps
its chunks, vectors and metadata; no file is stored. An upload is refused before anything
is written when its type is not one `knowledge.documents` reads, it is over
`MAX_UPLOAD_BYTES` or empty, the readers refuse it (a PDF without a text layer, bad front
matter), it makes over `MAX_UPLOAD_PASSAGES` chunks (the upload is indexed inside the
request), or its name is taken; a failure while embedding leaves nothing behind either (a
savepoint). Folder collections (`bundled`) are synced from their folder, so they cannot be
removed here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import String, cast, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.errors import ConflictError, NotFoundError
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge.chunking import chunk_document
from knowledge.documents import (
    SUPPORTED_SUFFIXES,
    DocumentError,
    document_format,
    parse_document,
)
from knowledge.embedding import Embedder
from knowledge.ingest import (
    ACTOR,
    INGEST_LOCK,
    UPLOADS,
    IngestReport,
    ingest_upload,
    remove_document,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Indexed inside the request: 200 passages take 0.6 s (3.5 s cold) on a busy 2-core server.
MAX_UPLOAD_PASSAGES = 200
REINDEXED = "knowledge.document_reindexed"
SUPPORTED = ", ".join(sorted(SUPPORTED_SUFFIXES))


@dataclass(frozen=True)
class DocumentSummary:
    """One document as the console lists it. `stale_chunks` were embedded by another
    embedder than the configured one (search skips them until re-indexed); `last_indexed`
    is the later of its last change (`updated_at`) and its last re-index (audit trail)."""

    id: int
    collection: str
    source: str
    title: str
    format: str
    version: str
    effective: dt.date | None
    products: tuple[str, ...]
    language: str
    created_at: dt.datetime
    updated_at: dt.datetime
    chunks: int
    stale_chunks: int
    last_indexed: dt.datetime

    @property
    def status(self) -> str:
        """"indexed", "needs re-index" (stale vectors) or "no passages"."""
        if self.chunks == 0:
            return "no passages"
        return "needs re-index" if self.stale_chunks else "indexed"

    @property
    def removable(self) -> bool:
        return self.collection == UPLOADS


@dataclass(frozen=True)
class Upload:
    document: DocumentSummary
    report: IngestReport


async def list_documents(session: AsyncSession, *, embedder: Embedder,
                         document_id: int | None = None) -> list[DocumentSummary]:
    """Every document (or just `document_id`), by collection and source."""
    stale = or_(KnowledgeChunk.embedding_model != embedder.name,
                KnowledgeChunk.embedding_dim != embedder.dimension)
    reindexed = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.entity_type == "knowledge_document", AuditEvent.action == REINDEXED,
               AuditEvent.entity_id == cast(KnowledgeDocument.id, String))
        .scalar_subquery()
    )
    last_indexed = func.greatest(KnowledgeDocument.updated_at, reindexed)
    query = (
        select(KnowledgeDocument, func.count(KnowledgeChunk.id),
               func.count(KnowledgeChunk.id).filter(stale), last_indexed)
        .outerjoin(KnowledgeChunk, KnowledgeChunk.document_id == KnowledgeDocument.id)
        .group_by(KnowledgeDocument.id)
        .order_by(KnowledgeDocument.collection, KnowledgeDocument.source)
    )
    if document_id is not None:
        query = query.where(KnowledgeDocument.id == document_id)
    return [_summary(document, chunks, stale_chunks, indexed)
            for document, chunks, stale_chunks, indexed in (await session.execute(query)).all()]


async def get_document(session: AsyncSession, *, document_id: int,
                       embedder: Embedder) -> DocumentSummary:
    """One document's summary; `NotFoundError` if there is none."""
    found = await list_documents(session, embedder=embedder, document_id=document_id)
    if not found:
        raise NotFoundError(f"There is no knowledge base document {document_id}.")
    return found[0]


async def document_chunks(session: AsyncSession, *, document_id: int) -> list[KnowledgeChunk]:
    """The document's chunks in reading order."""
    return list((await session.scalars(
        select(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id)
        .order_by(KnowledgeChunk.position)
    )).all())


def upload_name(filename: str) -> str:
    """The document's source: the file's own name, without any folders a browser sent."""
    return PurePosixPath(filename.replace("\\", "/")).name.strip()


async def upload_document(
    session: AsyncSession, *, filename: str, data: bytes, embedder: Embedder,
    replace: bool = False, actor: str = ACTOR,
) -> Upload:
    """Add a staff document to the `uploads` collection (or, with `replace`, a new version
    of the upload of the same name). Raises `DocumentError` (422) for a missing name, an
    unsupported type, a file over `MAX_UPLOAD_BYTES`, an empty or unreadable file or one of
    over `MAX_UPLOAD_PASSAGES` passages, and `ConflictError` (409) for a name already in the
    base; nothing is written then."""
    source = upload_name(filename)
    if not source:
        raise DocumentError("Choose a file to upload.")
    if document_format(source) is None:
        raise DocumentError(f"{source}: this type of file cannot be added to the knowledge "
                            f"base (supported: {SUPPORTED}).")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DocumentError(f"{source} is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB, the "
                            "most a knowledge base document may be.")
    if not data.strip():
        raise DocumentError(f"{source}: the file is empty.")
    passages = await asyncio.to_thread(_passages, source, data)
    if passages > MAX_UPLOAD_PASSAGES:
        raise DocumentError(
            f"{source} makes {passages} passages; one upload may make at most "
            f"{MAX_UPLOAD_PASSAGES}, so that it is indexed while you wait. Split it into "
            "smaller documents.")
    # Ingest's own lock, taken before the name check so two uploads of one name cannot both
    # pass it (the second would silently replace the first).
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK})
    await _check_name(session, source, replace=replace)
    async with session.begin_nested():
        report = await ingest_upload(session, filename=source, data=data, embedder=embedder,
                                     actor=actor)
        if report.errors:
            raise DocumentError(report.errors[0].message)
    document = await session.scalar(select(KnowledgeDocument.id).where(
        KnowledgeDocument.collection == UPLOADS, KnowledgeDocument.source == source))
    assert document is not None
    return Upload(await get_document(session, document_id=document, embedder=embedder), report)


async def remove_upload(session: AsyncSession, *, document_id: int,
                        actor: str = ACTOR) -> tuple[DocumentSummary, int]:
    """Delete an uploaded document and its chunks; returns it and how many chunks went.
    A document of a folder collection is refused (the next sync would bring it back)."""
    document = await session.get(KnowledgeDocument, document_id)
    if document is None:
        raise NotFoundError(f"There is no knowledge base document {document_id}.")
    if document.collection != UPLOADS:
        raise ConflictError(
            f"{document.title} comes from the {document.collection} folder and would come "
            "back at the next start: remove the file from that folder instead.")
    summary = _summary(document, 0, 0, document.updated_at)
    chunks = await remove_document(session, collection=UPLOADS, source=document.source,
                                   actor=actor)
    return summary, chunks


async def _check_name(session: AsyncSession, source: str, *, replace: bool) -> None:
    """Refuse a name already in the base, unless replacing the upload of exactly that name."""
    taken = (await session.scalars(select(KnowledgeDocument).where(
        func.lower(KnowledgeDocument.source) == source.lower()))).all()
    for document in taken:
        if document.collection != UPLOADS:
            raise ConflictError(
                f"{source}: the {document.collection} collection already has a document of "
                f"that name ({document.title}). Rename the file to add it as well.")
        if not replace or document.source != source:
            raise ConflictError(
                f"{source}: a document named {document.source} ({document.title}) was "
                "uploaded already. Choose “Replace” to upload a new version of it, or "
                "rename the file.")


def _passages(source: str, data: bytes) -> int:
    """How many chunks the file makes; raises the reader's `DocumentError` (a broken PDF,
    bad front matter, no text) before anything is written."""
    return len(chunk_document(parse_document(source, data)))


def _summary(document: KnowledgeDocument, chunks: int, stale_chunks: int,
             last_indexed: dt.datetime) -> DocumentSummary:
    return DocumentSummary(
        id=document.id, collection=document.collection, source=document.source,
        title=document.title, format=document.format, version=document.content_hash[:12],
        effective=document.effective, products=tuple(document.products),
        language=document.language, created_at=document.created_at,
        updated_at=document.updated_at, chunks=chunks, stale_chunks=stale_chunks,
        last_indexed=last_indexed,
    )
