"""Knowledge base: documents and chunks with a vector (HNSW, cosine) and a full-text index.

The chunk's `search_vector` is generated from its title (weight A), section path (B) and
text (D) with the english configuration, so it can never disagree with the text.

`knowledge_terms` holds, per lexeme, how many chunks contain it, and under the empty lexeme
how many chunks there are. Statement-level triggers keep it exact whatever writes the
chunks (ingest, COPY, SQL): each statement adds the lexemes of its new rows and subtracts
those of its old rows, in one upsert ordered by lexeme (a lexeme no chunk has any more
keeps a count of 0 until ingest tidies it away).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, section), 'B') || "
    "setweight(to_tsvector('english'::regconfig, text), 'D')"
)

# Transition tables allow one event per trigger: three triggers share the function.
TRIGGERS = (
    ("INSERT", "NEW TABLE AS new_rows"),
    ("DELETE", "OLD TABLE AS old_rows"),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)
LEXEMES = "unnest(tsvector_to_array(search_vector) || ''::text)"
UPSERT = (
    "INSERT INTO knowledge_terms AS t (lexeme, chunks) "
    "SELECT lexeme, sum(delta) FROM ({rows}) AS l(lexeme, delta) "
    "GROUP BY lexeme HAVING sum(delta) <> 0 ORDER BY lexeme "
    "ON CONFLICT (lexeme) DO UPDATE SET chunks = t.chunks + excluded.chunks;"
)
ADDED = f"SELECT {LEXEMES}, 1 FROM new_rows"
REMOVED = f"SELECT {LEXEMES}, -1 FROM old_rows"
COUNT_TERMS = f"""
CREATE FUNCTION knowledge_count_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM knowledge_terms;
    ELSIF TG_OP = 'INSERT' THEN
        {UPSERT.format(rows=ADDED)}
    ELSIF TG_OP = 'DELETE' THEN
        {UPSERT.format(rows=REMOVED)}
    ELSE
        {UPSERT.format(rows=f"{ADDED} UNION ALL {REMOVED}")}
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table('knowledge_documents',
    sa.Column('collection', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('effective', sa.Date(), nullable=True),
    sa.Column('products', postgresql.ARRAY(sa.String(length=60)), nullable=False),
    sa.Column('language', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_documents')),
    sa.UniqueConstraint('collection', 'source', name=op.f('uq_knowledge_documents_collection_source'))
    )
    op.create_table('knowledge_chunks',
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('section', sa.Text(), nullable=False),
    sa.Column('section_path', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('products', postgresql.ARRAY(sa.String(length=60)), nullable=False),
    sa.Column('language', sa.String(length=12), nullable=False),
    sa.Column('embedding', Vector(512), nullable=False),
    sa.Column('embedding_model', sa.String(length=200), nullable=False),
    sa.Column('embedding_dim', sa.SmallInteger(), nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(SEARCH_VECTOR, persisted=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['knowledge_documents.id'], name=op.f('fk_knowledge_chunks_document_id_knowledge_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_chunks'))
    )
    op.create_index(op.f('ix_knowledge_chunks_document_id'), 'knowledge_chunks', ['document_id'], unique=False)
    op.create_index('ix_knowledge_chunks_embedding', 'knowledge_chunks', ['embedding'], unique=False, postgresql_using='hnsw', postgresql_with={'m': 16, 'ef_construction': 64}, postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.create_index('ix_knowledge_chunks_search_vector', 'knowledge_chunks', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_table('knowledge_terms',
    sa.Column('lexeme', sa.Text(), nullable=False),
    sa.Column('chunks', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('lexeme', name=op.f('pk_knowledge_terms'))
    )
    op.execute(COUNT_TERMS)
    for event, tables in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER knowledge_chunks_count_terms_{event.lower()} AFTER {event} "
            f"ON knowledge_chunks REFERENCING {tables} FOR EACH STATEMENT "
            "EXECUTE FUNCTION knowledge_count_terms()"
        )
    op.execute(
        "CREATE TRIGGER knowledge_chunks_count_terms_truncate AFTER TRUNCATE "
        "ON knowledge_chunks FOR EACH STATEMENT EXECUTE FUNCTION knowledge_count_terms()"
    )


def downgrade() -> None:
    op.drop_table('knowledge_terms')
    op.drop_table('knowledge_chunks')
    op.execute("DROP FUNCTION IF EXISTS knowledge_count_terms()")
    op.drop_table('knowledge_documents')
