"""Re-index the configured knowledge content: the bundled folder and any extra folders.

Each folder is synced with `knowledge.ingest.ingest_folder` (unchanged files skipped, changed
ones re-chunked with only new passages embedded, files gone removed, chunks of another
embedder re-embedded), so a rerun with nothing changed writes nothing. The bundled content
is collection `bundled`; an extra folder is the collection named after it. A folder that
is missing is reported and its collection left as it was: an unmounted volume must not
empty the knowledge base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError, ValidationError
from knowledge.embedding import Embedder
from knowledge.ingest import ACTOR, BUNDLED, UPLOADS, IngestReport, content_folder, ingest_folder


@dataclass(frozen=True, slots=True)
class ContentFolder:
    path: Path
    collection: str


@dataclass
class ReindexReport:
    """Each folder's ingest report by collection, and the folders that were not there."""

    reports: dict[str, IngestReport] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.added or r.updated or r.removed or r.chunks_reembedded
                   for r in self.reports.values())

    def summary(self) -> str:
        parts = [f"{name}: {report.summary()}" for name, report in self.reports.items()]
        parts += self.missing
        return "; ".join(parts) or "nothing configured"


def configured_folders(extra: Sequence[Path] = ()) -> list[ContentFolder]:
    """The bundled content, then each of `extra` as the collection named after the folder.
    Raises `ValidationError` when two folders share a name, or an extra folder is named
    like a collection Lendline keeps itself (`bundled`, `uploads`: syncing it would delete
    what is kept there)."""
    folders = [ContentFolder(content_folder(), BUNDLED)]
    for path in extra:
        name = path.name
        if name in (BUNDLED, UPLOADS):
            raise ValidationError(f"The knowledge folder {path} cannot be named '{name}': that "
                                  "collection is Lendline's own. Rename the folder.")
        if any(folder.collection == name for folder in folders):
            raise ValidationError(f"Two knowledge folders are named '{name}'; each folder is "
                                  "the collection named after it, so names must differ.")
        folders.append(ContentFolder(path, name))
    return folders


async def reindex(
    session: AsyncSession, *, folders: Sequence[ContentFolder], embedder: Embedder,
    actor: str = ACTOR,
) -> ReindexReport:
    """Sync every folder into its collection with `ingest_folder`, in the caller's
    transaction; per-file problems are in each report's `errors`. Idempotent."""
    report = ReindexReport()
    for folder in folders:
        try:
            report.reports[folder.collection] = await ingest_folder(
                session, folder.path, embedder=embedder, collection=folder.collection,
                actor=actor)
        except NotFoundError as missing:
            report.missing.append(missing.message)
    return report
