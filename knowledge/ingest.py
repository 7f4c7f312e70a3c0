"""Ingest documents into the knowledge base, incrementally.

A document is identified by (collection, source): `ingest_folder` syncs a collection with a
folder (source = the file's path inside it) and `ingest_upload` adds or replaces one file
of a collection. A file whose bytes hash as before is skipped. A changed file is re-parsed
and re-chunked; chunks whose content hash is unchanged keep their vectors, so only new or
edited passages are embedded. Files gone from the folder lose their chunks. Chunks embedded
by another embedder (model name or dimension) are re-embedded, never mixed.

Per-file problems (unreadable, empty, broken PDF, embedding service failure) are reported
in `IngestReport.errors` and the other files go on; a file that fails keeps the version
ingested before, if any. `reindex` re-embeds one document or the whole base from the
stored text. Ingests run one at a time (a transaction-level advisory lock). Nothing is
committed: the caller owns the transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, or_, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import NotFoundError
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument, KnowledgeTerm
from knowledge.chunking import chunk_document, content_hash, embedding_input
from knowledge.documents import DocumentError, ParsedDocument, document_format, parse_document
from knowledge.embedding import Embedder, EmbeddingError

ACTOR = "system:knowledge"
BUNDLED = "bundled"
UPLOADS = "uploads"
MAX_SOURCE = 500
INGEST_LOCK = 0x6B6E6F77  # "know": the advisory lock key serialising ingests


def content_folder() -> Path:
    """The knowledge content shipped with Lendline (the demo lender's policies and FAQs)."""
    return Path(__file__).parent / "content"


@dataclass(frozen=True)
class FileError:
    source: str
    message: str


@dataclass
class IngestReport:
    """What one ingest did, by source, and how many chunks it embedded or deleted."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reembedded: int = 0
    chunks_deleted: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.errors)} failed; {self.chunks_embedded} chunks embedded, "
            f"{self.chunks_reembedded} re-embedded, {self.chunks_deleted} deleted"
        )


async def ingest_folder(
    session: AsyncSession,
    folder: Path,
    *,
    embedder: Embedder,
    collection: str | None = None,
    actor: str = ACTOR,
) -> IngestReport:
    """Sync `collection` (default: the folder's name) with the supported files under `folder`
    (.md, .markdown, .html, .htm, .pdf, .txt; hidden files skipped), then re-embed any
    chunk of the knowledge base that another embedder produced."""
    folder = await asyncio.to_thread(folder.resolve)
    files = await asyncio.to_thread(_supported_files, folder)
    collection = collection or folder.name
    await _lock(session)
    report = IngestReport()
    for source, path in files:
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            report.errors.append(FileError(source, f"{source}: cannot be read ({exc.strerror})."))
            continue
        await _ingest_one(session, report, collection, source, data, embedder, actor)
    seen = {source for source, _ in files}
    stale = await session.scalars(
        select(KnowledgeDocument).where(
            KnowledgeDocument.collection == collection, KnowledgeDocument.source.not_in(seen)
        ).order_by(KnowledgeDocument.source)
    )
    for document in stale.all():
        report.chunks_deleted += await _remove(session, document, actor)
        report.removed.append(document.source)
    await _finish(session, report, embedder)
    return report


async def ingest_upload(
    session: AsyncSession,
    *,
    filename: str,
    data: bytes,
    embedder: Embedder,
    collection: str = UPLOADS,
    actor: str = ACTOR,
) -> IngestReport:
    """Add or replace one file of `collection` from its bytes; errors are in the report."""
    await _lock(session)
    report = IngestReport()
    source = Path(filename).name
    await _ingest_one(session, report, collection, source, data, embedder, actor)
    await _finish(session, report, embedder)
    return report


async def remove_document(
    session: AsyncSession, *, collection: str, source: str, actor: str = ACTOR
) -> int:
    """Delete one document and its chunks; returns how many chunks went."""
    await _lock(session)
    document = await _find(session, collection, source)
    if document is None:
        raise NotFoundError(f"There is no document {source} in {collection}.")
    deleted = await _remove(session, document, actor)
    await _forget_absent_terms(session)
    return deleted


async def reembed_stale(
    session: AsyncSession, *, embedder: Embedder, batch_size: int = 64
) -> int:
    """Re-embed every chunk whose vector came from another model or dimension; returns
    how many. Raises `EmbeddingError` if the embedder fails (the caller's transaction then
    holds the batches done so far)."""
    stale = or_(
        KnowledgeChunk.embedding_model != embedder.name,
        KnowledgeChunk.embedding_dim != embedder.dimension,
    )
    return sum((await _reembed(session, stale, embedder, batch_size)).values())


async def reindex(
    session: AsyncSession,
    *,
    embedder: Embedder,
    document_id: int | None = None,
    actor: str = ACTOR,
    batch_size: int = 64,
) -> IngestReport:
    """Re-embed every chunk of one document (`document_id`), or of the whole base (None), with
    `embedder`, whatever embedded it before. The stored text is embedded again; files are
    not re-read (uploads keep no file, and `ingest_folder` syncs folders). In the report,
    `updated` names each document re-indexed ("collection/source") and `chunks_reembedded`
    counts the chunks; each document gets a `knowledge.document_reindexed` audit event.
    Raises `NotFoundError` for an unknown document and `EmbeddingError` if the embedder
    fails (the caller's transaction then holds the batches done so far: roll it back)."""
    await _lock(session)
    query = select(KnowledgeDocument).order_by(KnowledgeDocument.collection,
                                               KnowledgeDocument.source)
    if document_id is not None:
        query = query.where(KnowledgeDocument.id == document_id)
    documents = (await session.scalars(query)).all()
    if document_id is not None and not documents:
        raise NotFoundError(f"There is no knowledge base document {document_id}.")
    scope = (KnowledgeChunk.document_id == document_id if document_id is not None
             else true())
    counts = await _reembed(session, scope, embedder, batch_size)
    report = IngestReport()
    for document in documents:
        report.updated.append(f"{document.collection}/{document.source}")
        report.chunks_reembedded += counts[document.id]
        await trail.record(
            session, actor=actor, action="knowledge.document_reindexed",
            entity_type="knowledge_document", entity_id=document.id,
            after={"chunks": counts[document.id], "embedding_model": embedder.name,
                   "embedding_dim": embedder.dimension},
        )
    return report


async def _reembed(
    session: AsyncSession, where: ColumnElement[bool], embedder: Embedder, batch_size: int
) -> Counter[int]:
    """Embed the chunks matching `where` again, in id order; chunks re-embedded by document."""
    done: Counter[int] = Counter()
    after = 0
    while True:
        rows = (await session.execute(
            select(KnowledgeChunk.id, KnowledgeChunk.document_id, KnowledgeChunk.title,
                   KnowledgeChunk.section, KnowledgeChunk.text)
            .where(where, KnowledgeChunk.id > after).order_by(KnowledgeChunk.id)
            .limit(batch_size)
        )).all()
        if not rows:
            return done
        vectors = await embedder.embed_documents([embedding_input(*row[2:]) for row in rows])
        await session.execute(update(KnowledgeChunk), [
            {"id": row.id, "embedding": vector, "embedding_model": embedder.name,
             "embedding_dim": embedder.dimension}
            for row, vector in zip(rows, vectors, strict=True)
        ])
        done.update(row.document_id for row in rows)
        after = rows[-1].id


async def _ingest_one(
    session: AsyncSession,
    report: IngestReport,
    collection: str,
    source: str,
    data: bytes,
    embedder: Embedder,
    actor: str,
) -> None:
    digest = hashlib.sha256(data).hexdigest()
    document = await _find(session, collection, source)
    if document is not None and document.content_hash == digest:
        report.unchanged.append(source)
        return
    try:
        if len(source) > MAX_SOURCE:
            raise DocumentError(f"{source[:60]}…: the file path is over {MAX_SOURCE} characters.")
        parsed = parse_document(source, data)
        embedded, deleted = await _store(
            session, document, collection, source, digest, parsed, embedder, actor
        )
    except (DocumentError, EmbeddingError) as exc:
        report.errors.append(FileError(source, exc.message))
        return
    (report.added if document is None else report.updated).append(source)
    report.chunks_embedded += embedded
    report.chunks_deleted += deleted


async def _store(
    session: AsyncSession,
    document: KnowledgeDocument | None,
    collection: str,
    source: str,
    digest: str,
    parsed: ParsedDocument,
    embedder: Embedder,
    actor: str,
) -> tuple[int, int]:
    """Write the document and its chunks, embedding only chunks not already stored; returns
    (chunks embedded, chunks deleted). Embeds before writing, so a failure changes nothing."""
    chunks = chunk_document(parsed)
    kept: dict[str, list[KnowledgeChunk]] = defaultdict(list)
    if document is not None:
        rows = await session.scalars(
            select(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id)
        )
        for row in rows.all():
            kept[row.content_hash].append(row)
    hashes = [content_hash(parsed.title, c.section, c.text) for c in chunks]
    reusable = {h: len(rows) for h, rows in kept.items()}
    missing: list[int] = []
    for index, digest_ in enumerate(hashes):
        if reusable.get(digest_, 0) > 0:
            reusable[digest_] -= 1
        else:
            missing.append(index)
    vectors = await embedder.embed_documents(
        [embedding_input(parsed.title, chunks[i].section, chunks[i].text) for i in missing]
    )
    fresh = dict(zip(missing, vectors, strict=True))

    before = _describe(document) if document is not None else None
    values = {
        "title": parsed.title, "format": parsed.format, "content_hash": digest,
        "effective": parsed.effective, "products": list(parsed.products),
        "language": parsed.language, "updated_at": dt.datetime.now(dt.UTC),
    }
    if document is None:
        document = KnowledgeDocument(collection=collection, source=source, **values)
        session.add(document)
    else:
        for name, value in values.items():
            setattr(document, name, value)
    await session.flush()
    for index, (chunk, digest_) in enumerate(zip(chunks, hashes, strict=True)):
        if index in fresh:
            row = KnowledgeChunk(document_id=document.id, content_hash=digest_,
                                 embedding=fresh[index], embedding_model=embedder.name,
                                 embedding_dim=embedder.dimension)
            session.add(row)
        else:
            row = kept[digest_].pop()
        row.position, row.title, row.section = chunk.position, parsed.title, chunk.section
        row.section_path, row.text = list(chunk.section_path), chunk.text
        row.products, row.language = list(parsed.products), parsed.language
    leftover = [row.id for rows in kept.values() for row in rows]
    if leftover:
        await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.id.in_(leftover)))
    await session.flush()
    await trail.record(
        session, actor=actor,
        action="knowledge.document_added" if before is None else "knowledge.document_updated",
        entity_type="knowledge_document", entity_id=document.id,
        before=before, after=_describe(document),
    )
    return len(missing), len(leftover)


async def _remove(session: AsyncSession, document: KnowledgeDocument, actor: str) -> int:
    before = _describe(document)
    deleted = await session.scalar(
        select(func.count()).where(KnowledgeChunk.document_id == document.id)
    )
    await session.delete(document)
    await session.flush()
    await trail.record(
        session, actor=actor, action="knowledge.document_removed",
        entity_type="knowledge_document", entity_id=document.id, before=before,
    )
    return deleted or 0


async def _lock(session: AsyncSession) -> None:
    """One ingest at a time (replicas starting together sync the bundled content once)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK})


async def _finish(session: AsyncSession, report: IngestReport, embedder: Embedder) -> None:
    """Re-embed stale chunks and drop term counts that reached zero."""
    try:
        report.chunks_reembedded += await reembed_stale(session, embedder=embedder)
    except EmbeddingError as exc:
        report.errors.append(FileError("(re-embedding)", exc.message))
    if report.chunks_deleted:
        await _forget_absent_terms(session)


async def _forget_absent_terms(session: AsyncSession) -> None:
    await session.execute(delete(KnowledgeTerm).where(KnowledgeTerm.chunks <= 0))


def _supported_files(folder: Path) -> list[tuple[str, Path]]:
    """(source, path) of every supported, non-hidden file under `folder`, sorted."""
    if not folder.is_dir():
        raise NotFoundError(f"There is no folder {folder} to ingest.")
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and document_format(path.name) is not None:
            files.append((relative.as_posix(), path))
    return files


async def _find(session: AsyncSession, collection: str, source: str) -> KnowledgeDocument | None:
    return await session.scalar(
        select(KnowledgeDocument).where(
            KnowledgeDocument.collection == collection, KnowledgeDocument.source == source
        )
    )


def _describe(document: KnowledgeDocument) -> dict[str, object]:
    return {
        "collection": document.collection, "source": document.source, "title": document.title,
        "content_hash": document.content_hash, "effective": document.effective,
        "products": list(document.products), "language": document.language,
    }

