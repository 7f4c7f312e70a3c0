"""Knowledge base records: ingested documents, their searchable chunks, term statistics.

A chunk carries its document's title, products and language (copied at ingest) so search
reads one table, a vector for semantic search (HNSW, cosine) and a generated `tsvector`
for full-text search (GIN): title weighted A, section path B, body D. `knowledge_terms`
counts the chunks containing each lexeme (kept by triggers of migration 0006), so search
can weight rare words above common ones and skip very common words when finding candidates.
"""

from __future__ import annotations

import datetime as dt

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin

# Fixed by the column type: an HNSW index needs one dimension for every row.
EMBEDDING_DIMENSION = 512

SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, section), 'B') || "
    "setweight(to_tsvector('english'::regconfig, text), 'D')"
)


class KnowledgeDocument(IdMixin, CreatedAtMixin, Base):
    """One source file of a collection (a folder synced by ingest, or uploads)."""

    __tablename__ = "knowledge_documents"
    __table_args__ = (UniqueConstraint("collection", "source"),)

    collection: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    effective: Mapped[dt.date | None] = mapped_column(Date)
    products: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    language: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class KnowledgeChunk(IdMixin, Base):
    """A bounded passage of one section, embedded and indexed for full-text search."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        Index(
            "ix_knowledge_chunks_embedding", "embedding", postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        Index("ix_knowledge_chunks_search_vector", "search_vector", postgresql_using="gin"),
    )

    document_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(Text)
    section_path: Mapped[list[str]] = mapped_column(ARRAY(Text))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    products: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    language: Mapped[str] = mapped_column(String(12))
    embedding: Mapped[list[float]] = mapped_column(Vector(EMBEDDING_DIMENSION))
    embedding_model: Mapped[str] = mapped_column(String(200))
    embedding_dim: Mapped[int] = mapped_column(SmallInteger)
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), deferred=True
    )


class KnowledgeTerm(Base):
    """How many chunks contain `lexeme`; the row with the empty lexeme counts all chunks.
    Written only by the database's triggers on `knowledge_chunks`."""

    __tablename__ = "knowledge_terms"

    lexeme: Mapped[str] = mapped_column(Text, primary_key=True)
    chunks: Mapped[int] = mapped_column(BigInteger)
