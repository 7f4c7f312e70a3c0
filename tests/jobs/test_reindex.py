"""Knowledge re-indexing: a changed file is re-embedded (only its new passages), a rerun with
nothing changed is a no-op, a missing folder empties nothing, and folder names that would
clash with another collection are refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.errors import ValidationError
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge.ingest import BUNDLED, content_folder
from knowledge.reindex import ContentFolder, configured_folders, reindex
from tests.knowledge_support import CountingEmbedder

FEES = """# Fees

## Late payment

A late fee of TTD 100 is charged when an instalment is 5 days late.

## Early settlement

Settle early at any time; the fee is 2% of the principal repaid early.
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "fees.md").write_text(FEES)
    (folder / "hours.md").write_text("# Opening hours\n\nMonday to Friday, 8 to 4.\n")
    return folder


async def documents(session: AsyncSession, collection: str) -> dict[str, str]:
    rows = await session.execute(select(KnowledgeDocument.source, KnowledgeDocument.content_hash)
                                 .where(KnowledgeDocument.collection == collection))
    return {source: digest for source, digest in rows}


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def test_a_changed_file_is_reembedded_and_a_rerun_is_a_no_op(
    session: AsyncSession, policies: Path,
) -> None:
    folders = [ContentFolder(policies, "policies")]
    embedder = CountingEmbedder()
    first = await reindex(session, folders=folders, embedder=embedder)
    assert sorted(first.reports["policies"].added) == ["fees.md", "hours.md"]
    embedded_first = len(embedder.embedded)
    assert embedded_first == first.reports["policies"].chunks_embedded > 0
    hashes = await documents(session, "policies")

    (policies / "fees.md").write_text(FEES.replace("TTD 100", "TTD 150"))
    second = await reindex(session, folders=folders, embedder=embedder)
    report = second.reports["policies"]
    assert (report.updated, report.unchanged) == (["fees.md"], ["hours.md"])
    assert second.changed
    changed = embedder.embedded[embedded_first:]
    assert len(changed) == report.chunks_embedded == 1, "only the edited passage"
    assert "TTD 150" in changed[0]
    after = await documents(session, "policies")
    assert after["hours.md"] == hashes["hours.md"] and after["fees.md"] != hashes["fees.md"]

    audits, embedded = await audit_count(session), len(embedder.embedded)
    third = await reindex(session, folders=folders, embedder=embedder)
    assert not third.changed
    assert sorted(third.reports["policies"].unchanged) == ["fees.md", "hours.md"]
    assert (len(embedder.embedded), await audit_count(session)) == (embedded, audits)
    assert third.summary() == ("policies: 0 added, 0 updated, 2 unchanged, 0 removed, 0 failed; "
                               "0 chunks embedded, 0 re-embedded, 0 deleted")


async def test_a_missing_folder_is_reported_and_its_collection_kept(
    session: AsyncSession, policies: Path,
) -> None:
    embedder = CountingEmbedder()
    await reindex(session, folders=[ContentFolder(policies, "policies")], embedder=embedder)
    chunks = await session.scalar(select(func.count()).select_from(KnowledgeChunk))
    moved = await asyncio.to_thread(policies.rename, policies.parent / "elsewhere")
    report = await reindex(session, folders=[ContentFolder(policies, "policies")],
                           embedder=embedder)
    assert report.reports == {}
    assert report.missing == [f"There is no folder {policies} to ingest."]
    assert await session.scalar(select(func.count()).select_from(KnowledgeChunk)) == chunks
    assert sorted(await documents(session, "policies")) == ["fees.md", "hours.md"]
    assert moved.exists()


def test_configured_folders_are_the_bundled_content_then_each_extra_folder(
    tmp_path: Path,
) -> None:
    assert configured_folders() == [ContentFolder(content_folder(), BUNDLED)]
    extra = configured_folders([tmp_path / "policies", tmp_path / "faq"])
    assert [(f.path.name, f.collection) for f in extra[1:]] == [("policies", "policies"),
                                                                ("faq", "faq")]
    with pytest.raises(ValidationError, match="cannot be named 'uploads'"):
        configured_folders([tmp_path / "uploads"])
    with pytest.raises(ValidationError, match="Two knowledge folders are named 'faq'"):
        configured_folders([tmp_path / "a" / "faq", tmp_path / "b" / "faq"])
