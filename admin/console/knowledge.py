"""The knowledge base in the console: its documents (state, chunks, the conversations that
cited each), uploading a document, re-indexing one or all, removing an upload; and, on a
conversation, the passages its agent answers cited.

Everything under `/console/knowledge` needs `knowledge.manage`, reading included: the list
shows staff-only material (drafts staff uploaded, which passages answered whom) and the
role matrix has no separate read permission. The cited passages of a conversation need only
`conversations.view`: they are what the borrower was told. Upload and re-index run inside
the request (a typical document takes well under a second with the local embedder; see
docs/console.md), then redirect with the counts the ingest returned.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import require
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.errors import status_for
from admin.permissions import Permission as P
from core.conversations.timeline import timeline
from core.errors import DomainError
from core.staff.models import StaffUser
from knowledge import cited, library
from knowledge.embedding import Embedder, embedder_from_settings
from knowledge.ingest import reindex

router = APIRouter(prefix="/console/knowledge", include_in_schema=False,
                   dependencies=[Depends(require(P.KNOWLEDGE_MANAGE))])
citations = APIRouter(prefix="/console/conversations/{conversation_id}/citations",
                      include_in_schema=False,
                      dependencies=[Depends(require(P.CONVERSATIONS_VIEW))])

Manager = Annotated[StaffUser, Depends(require(P.KNOWLEDGE_MANAGE))]
NOTICES = {
    "added": "Added to the knowledge base: {chunks} passages embedded in {seconds}. The agent "
             "can answer from it now.",
    "updated": "New version stored: {chunks} passages embedded in {seconds} (passages that "
               "did not change kept their vectors).",
    "unchanged": "That file is the version already stored; nothing changed.",
    "reindexed": "Re-indexed {documents} documents: {chunks} passages re-embedded in "
                 "{seconds}.",
    "removed": "The document and its {chunks} passages were removed.",
}


def knowledge_embedder(request: Request) -> Embedder:
    """The embedder the settings choose (the agent's search uses the same), made once."""
    embedder: Embedder | None = getattr(request.app.state, "knowledge_embedder", None)
    if embedder is None:
        embedder = embedder_from_settings(request.app.state.settings)
        request.app.state.knowledge_embedder = embedder
    return embedder


def notice(params: Mapping[str, str]) -> str | None:
    """The message for `?done=...` with its counts (whole numbers only, so a crafted link
    cannot put words in the console's mouth)."""
    template = NOTICES.get(params.get("done", ""))
    if template is None:
        return None
    counts: dict[str, int] = {}
    for name in ("documents", "chunks", "ms"):
        value = params.get(name, "")
        counts[name] = int(value) if value.isdigit() else 0
    return template.format(**counts, seconds=f"{counts['ms'] / 1000:.2f} s")


def _done(path: str, done: str, *, started: float, **counts: int) -> RedirectResponse:
    ms = round((time.perf_counter() - started) * 1000)
    query = "&".join(f"{name}={value}" for name, value in {**counts, "ms": ms}.items())
    return RedirectResponse(f"{path}?done={done}&{query}", status_code=303)


async def read_upload(file: UploadFile | None) -> tuple[str, bytes]:
    """The upload's name and bytes, at most one byte over the limit (enough to refuse it);
    a form sent without a file is a nameless, empty one, which the service refuses."""
    if file is None:
        return "", b""
    return file.filename or "", await file.read(library.MAX_UPLOAD_BYTES + 1)


async def _list_page(request: Request, session: AsyncSession, *, status_code: int = 200,
                     error: str | None = None, replace: bool = False) -> Response:
    embedder = knowledge_embedder(request)
    documents = await library.list_documents(session, embedder=embedder)
    return render(request, "knowledge.html", {
        "documents": documents, "embedder": embedder.name,
        "chunks": sum(d.chunks for d in documents),
        "stale": sum(d.stale_chunks for d in documents),
        "max_mb": library.MAX_UPLOAD_BYTES // 1024 // 1024, "accept": library.SUPPORTED,
        "replace": replace, "notice": notice(request.query_params), "error": error,
    }, status_code=status_code)


@router.get("")
async def knowledge_page(request: Request, session: SessionDep) -> Response:
    return await _list_page(request, session)


@router.post("/upload")
async def upload(request: Request, session: SessionDep, staff: Manager,
                 file: Annotated[UploadFile | None, File()] = None,
                 replace: Annotated[bool, Form()] = False) -> Response:
    """Add (or, with `replace`, update) a document; a refused file re-renders the list with
    the reason, and nothing is written."""
    started = time.perf_counter()
    name, data = await read_upload(file)
    try:
        uploaded = await library.upload_document(
            session, filename=name, data=data,
            embedder=knowledge_embedder(request), replace=replace, actor=f"staff:{staff.id}")
    except DomainError as refused:
        return await _list_page(request, session, status_code=status_for(refused),
                                error=refused.message, replace=replace)
    report = uploaded.report
    done = "added" if report.added else "updated" if report.updated else "unchanged"
    return _done(f"/console/knowledge/{uploaded.document.id}", done, started=started,
                 chunks=report.chunks_embedded)


@router.post("/reindex")
async def reindex_all(request: Request, session: SessionDep, staff: Manager) -> Response:
    started = time.perf_counter()
    report = await reindex(session, embedder=knowledge_embedder(request),
                           actor=f"staff:{staff.id}")
    return _done("/console/knowledge", "reindexed", started=started,
                 documents=len(report.updated), chunks=report.chunks_reembedded)


@router.get("/{document_id}")
async def document_page(document_id: int, request: Request, session: SessionDep) -> Response:
    document = await library.get_document(session, document_id=document_id,
                                          embedder=knowledge_embedder(request))
    return render(request, "knowledge_document.html", {
        "document": document,
        "passages": await library.document_chunks(session, document_id=document_id),
        "citing": await cited.citing_conversations(session, document_id=document_id),
        "embedder": knowledge_embedder(request).name,
        "notice": notice(request.query_params),
    })


@router.post("/{document_id}/reindex")
async def reindex_one(document_id: int, request: Request, session: SessionDep,
                      staff: Manager) -> Response:
    started = time.perf_counter()
    report = await reindex(session, embedder=knowledge_embedder(request),
                           document_id=document_id, actor=f"staff:{staff.id}")
    return _done(f"/console/knowledge/{document_id}", "reindexed", started=started,
                 documents=len(report.updated), chunks=report.chunks_reembedded)


@router.post("/{document_id}/remove")
async def remove(document_id: int, session: SessionDep, staff: Manager) -> Response:
    started = time.perf_counter()
    _, chunks = await library.remove_upload(session, document_id=document_id,
                                            actor=f"staff:{staff.id}")
    return _done("/console/knowledge", "removed", started=started, chunks=chunks)


@citations.get("")
async def cited_passages(conversation_id: int, request: Request,
                         session: SessionDep) -> Response:
    """Every agent answer of the conversation (across the customer's channels, as the
    transcript shows them) that cited the knowledge base, with the passages it quoted."""
    view = await timeline(session, conversation_id=conversation_id)
    answers = [(entry, await cited.cited_passages(session, answer=entry.text,
                                                  cited=entry.citations))
               for entry in view.entries if entry.citations]
    return render(request, "knowledge_citations.html", {
        "conversation": view.conversation, "answers": answers})
