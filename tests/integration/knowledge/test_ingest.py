"""Ingest: four formats, per-file errors, incremental re-ingest, removal, re-embedding."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.errors import NotFoundError
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge.ingest import ingest_folder, ingest_upload, remove_document
from tests.knowledge_support import CountingEmbedder, make_pdf

FEES = """---
title: Fees and charges
effective: 2026-01-01
products: [PERSONAL]
---
# Fees and charges

## Late fee

A late fee of TT$100 is charged when an instalment is more than 5 days late.

## Early settlement

Paying off early costs nothing on a Personal Loan.
"""
FAQ_HTML = """<html lang="es"><head><title>Preguntas frecuentes</title></head><body>
<h2>Horario</h2><p>Atendemos de lunes a viernes, de 8 a 4.</p>
<h2>Contacto</h2><p>Escríbanos por WhatsApp al 868-555-0100.</p></body></html>"""


def write_folder(folder: Path) -> Path:
    (folder / "policies").mkdir(parents=True)
    (folder / "fees.md").write_text(FEES)
    (folder / "faq.html").write_text(FAQ_HTML)
    (folder / "branches.txt").write_text("Branch locations\n\nPort of Spain and Arima.\n")
    (folder / "policies" / "hardship.pdf").write_bytes(
        make_pdf(["Hardship help: we can pause payments for up to 3 months."], title="Hardship")
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (folder / "empty.md").write_text("")
    (folder / ".drafts").mkdir()
    (folder / ".drafts" / "draft.md").write_text("# Not ready")
    (folder / "data.csv").write_text("not,a,document")
    return folder


async def stored(session: AsyncSession) -> list[tuple[str, str, list[str], str, list[str], str]]:
    rows = await session.execute(
        select(KnowledgeDocument.source, KnowledgeChunk.title, KnowledgeChunk.section_path,
               KnowledgeChunk.language, KnowledgeChunk.products, KnowledgeChunk.text)
        .join(KnowledgeDocument).order_by(KnowledgeDocument.source, KnowledgeChunk.position)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def chunk_ids(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(KnowledgeChunk.text, KnowledgeChunk.id))
    return {text: chunk_id for text, chunk_id in rows.all()}


async def audited(session: AsyncSession, action: str) -> int:
    return await session.scalar(  # type: ignore[return-value]
        select(func.count()).where(AuditEvent.action == f"knowledge.document_{action}")
    )


LATE = "A late fee of TT$100 is charged when an instalment is more than 5 days late."
EARLY = "Paying off early costs nothing on a Personal Loan."
INGESTED = [
    ("branches.txt", "Branch locations", [], "en", [], "Port of Spain and Arima."),
    ("faq.html", "Preguntas frecuentes", ["Horario"], "es", [],
     "Atendemos de lunes a viernes, de 8 a 4."),
    ("faq.html", "Preguntas frecuentes", ["Contacto"], "es", [],
     "Escríbanos por WhatsApp al 868-555-0100."),
    ("fees.md", "Fees and charges", ["Late fee"], "en", ["PERSONAL"], LATE),
    ("fees.md", "Fees and charges", ["Early settlement"], "en", ["PERSONAL"], EARLY),
    ("policies/hardship.pdf", "Hardship", ["Page 1"], "en", [],
     "Hardship help: we can pause payments for up to 3 months."),
]


async def test_four_formats_are_ingested_and_bad_files_reported_while_the_rest_go_on(
    session: AsyncSession, tmp_path: Path
) -> None:
    embedder = CountingEmbedder()
    report = await ingest_folder(session, write_folder(tmp_path / "kb"), embedder=embedder)

    assert report.added == ["branches.txt", "faq.html", "fees.md", "policies/hardship.pdf"]
    assert [e.source for e in report.errors] == ["broken.pdf", "empty.md"]
    assert report.errors[0].message.startswith("broken.pdf: the PDF could not be read (")
    assert report.errors[1].message == "empty.md: the file is empty."
    assert report.chunks_embedded == len(embedder.embedded) == 6
    assert embedder.embedded[3] == f"Fees and charges — Late fee\n\n{LATE}"
    assert await stored(session) == INGESTED
    fees = await session.scalar(
        select(KnowledgeDocument).where(KnowledgeDocument.source == "fees.md")
    )
    assert fees is not None
    assert (fees.collection, fees.format, str(fees.effective)) == ("kb", "md", "2026-01-01")
    models = await session.execute(
        select(KnowledgeChunk.embedding_model, KnowledgeChunk.embedding_dim).distinct()
    )
    assert models.all() == [("test-hashing", 512)]
    assert await audited(session, "added") == 4


async def test_re_ingest_embeds_only_what_changed_and_removes_deleted_files(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "kb")
    await ingest_folder(session, folder, embedder=CountingEmbedder())
    ids = await chunk_ids(session)

    again = CountingEmbedder()
    report = await ingest_folder(session, folder, embedder=again)
    assert (report.added, report.updated, report.chunks_embedded) == ([], [], 0)
    assert report.unchanged == ["branches.txt", "faq.html", "fees.md", "policies/hardship.pdf"]

    edited = FEES.replace("more than 5 days", "more than 7 days").replace(
        "[PERSONAL]", "[PERSONAL, AUTO]"
    )
    (folder / "fees.md").write_text(edited)
    (folder / "branches.txt").unlink()
    changed = CountingEmbedder()
    report = await ingest_folder(session, folder, embedder=changed)

    assert (report.updated, report.removed) == (["fees.md"], ["branches.txt"])
    assert (report.chunks_embedded, report.chunks_deleted) == (1, 2)
    assert changed.embedded == [f"Fees and charges — Late fee\n\n{LATE.replace('5', '7')}"]
    after = await chunk_ids(session)
    assert after[EARLY] == ids[EARLY], "the unchanged chunk keeps its row and vector"
    assert LATE not in after and "Port of Spain and Arima." not in after
    rows = await stored(session)
    assert [row[4] for row in rows if row[0] == "fees.md"] == [["AUTO", "PERSONAL"]] * 2
    assert len(rows) == 5
    assert (await audited(session, "updated"), await audited(session, "removed")) == (1, 1)


async def test_a_file_that_breaks_keeps_its_previous_version(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "kb")
    await ingest_folder(session, folder, embedder=CountingEmbedder())
    (folder / "fees.md").write_text("---\neffective: someday\n---\n# Fees\n\nNew text.\n")

    report = await ingest_folder(session, folder, embedder=CountingEmbedder())

    assert report.errors[-1].source == "fees.md"
    assert report.errors[-1].message == (
        "fees.md: effective date 'someday' is not a date like 2026-01-31."
    )
    assert await stored(session) == INGESTED


async def test_changing_the_embedder_re_embeds_instead_of_mixing(
    session: AsyncSession, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "kb")
    await ingest_folder(session, folder, embedder=CountingEmbedder("model-a"))

    other = CountingEmbedder("model-b")
    report = await ingest_folder(session, folder, embedder=other)

    assert (report.chunks_embedded, report.chunks_reembedded) == (0, 6)
    assert len(other.embedded) == 6
    models = await session.execute(select(KnowledgeChunk.embedding_model).distinct())
    assert models.scalars().all() == ["model-b"]


async def test_uploads_are_their_own_collection_and_can_be_removed(
    session: AsyncSession, tmp_path: Path
) -> None:
    await ingest_folder(session, write_folder(tmp_path / "kb"), embedder=CountingEmbedder())
    report = await ingest_upload(
        session, filename="/home/staff/Downloads/rates.txt", data=b"Rates\n\nFrom 8.5% a year.",
        embedder=CountingEmbedder(),
    )
    assert (report.added, report.chunks_embedded) == (["rates.txt"], 1)
    broken = await ingest_upload(session, filename="scan.pdf", data=make_pdf([""]),
                                 embedder=CountingEmbedder())
    assert broken.errors[0].message == "scan.pdf: the PDF has no text layer (is it a scan?)."

    resync = await ingest_folder(session, tmp_path / "kb", embedder=CountingEmbedder())
    assert resync.removed == []
    assert await remove_document(session, collection="uploads", source="rates.txt") == 1
    assert len(await stored(session)) == len(INGESTED)
    with pytest.raises(NotFoundError, match=r"There is no document rates\.txt in uploads\."):
        await remove_document(session, collection="uploads", source="rates.txt")
    with pytest.raises(NotFoundError, match="There is no folder"):
        await ingest_folder(session, tmp_path / "missing", embedder=CountingEmbedder())
