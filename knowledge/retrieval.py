"""The SQL behind search: the question's term statistics, then one statement that finds the
lexical and the vector candidates and returns them with everything a passage needs.

- Lexical, BM25-like: each english lexeme of the question counts its rarity (inverse
  document frequency over chunks, from `knowledge_terms`) times `ts_rank` of that lexeme in
  the chunk, where the title and section path weigh twice the body. Candidates come from
  the GIN index through the question's rarest
  lexemes (see `candidate_query`), so a word in most chunks ("loan") still scores but
  does not make every chunk a candidate.
- Vector: cosine distance to the question's vector (with its expansion blended in) through
  the HNSW index, over chunks embedded by the same embedder only; the similarity reported
  is to the question's own vector. HNSW filters after its walk, so when it returns too
  few rows (filters, a small table, stale vectors) an exact scan runs instead.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import String, Text, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from core.knowledge.models import EMBEDDING_DIMENSION

# ts_rank weights for D (body), C, B (section) and A (title); no length normalisation.
RANK_WEIGHTS = "{0.5, 0.5, 1.0, 1.0}"
RANK_NORMALISATION = 0
LEXICAL_BUDGET = 1000
LEXICAL_CAP = 2000
# What a word the query expansion added weighs against the question's own words (both lists).
EXPANSION_WEIGHT = 0.5


@dataclass(frozen=True)
class Terms:
    """The question's lexemes with the number of chunks holding each, of `total` chunks;
    `extra` are those only the query expansion added (knowledge.vocabulary)."""

    total: int
    chunks: dict[str, int]
    extra: frozenset[str] = frozenset()

    def idf(self, lexeme: str) -> float:
        n = self.chunks.get(lexeme, 0)
        return math.log(1 + (self.total - n + 0.5) / (n + 0.5))

    def weight(self, lexeme: str) -> float:
        """The lexeme's idf, times EXPANSION_WEIGHT for an expansion's lexeme."""
        return self.idf(lexeme) * (EXPANSION_WEIGHT if lexeme in self.extra else 1.0)

    def coverage(self, matched: list[str]) -> float:
        """The share of the question's information (idf-weighted: a word no chunk has
        weighs most) that the lexemes in `matched` carry; expansion lexemes count for
        nothing, so the weak-match rule judges the borrower's own words."""
        own = [lexeme for lexeme in self.chunks if lexeme not in self.extra]
        whole = sum(self.idf(lexeme) for lexeme in own)
        hits = sum(self.idf(lexeme) for lexeme in matched if lexeme not in self.extra)
        return hits / whole if whole else 0.0


@dataclass(frozen=True)
class Candidate:
    """A chunk either list found, with its (rank, score) in each: lexical score is the
    idf-weighted rank, vector score the cosine similarity."""

    chunk_id: int
    text: str
    title: str
    section_path: tuple[str, ...]
    source: str
    effective: dt.date | None
    products: tuple[str, ...]
    language: str
    matched: list[str]
    lexical: tuple[int, float] | None
    vector: tuple[int, float] | None


async def question_terms(session: AsyncSession, query: str, extra: str = "") -> Terms:
    """The lexemes of `query` and of its expansion `extra`, with their chunk counts."""
    rows = (await session.execute(text(
        "SELECT q.lexeme, bool_and(q.extra) AS extra, coalesce(max(t.chunks), 0) AS chunks "
        "FROM (SELECT lexeme, false AS extra"
        "      FROM unnest(tsvector_to_array(to_tsvector('english', :query))) AS lexeme"
        "      UNION ALL SELECT lexeme, true"
        "      FROM unnest(tsvector_to_array(to_tsvector('english', :extra))) AS lexeme) q "
        "LEFT JOIN knowledge_terms t ON t.lexeme = q.lexeme GROUP BY q.lexeme "
        "UNION ALL SELECT '', false, coalesce(max(chunks), 0) FROM knowledge_terms "
        "WHERE lexeme = ''"
    ), {"query": query, "extra": extra})).all()
    counts = {row.lexeme: int(row.chunks) for row in rows}
    total = counts.pop("")
    return Terms(total, counts, frozenset(row.lexeme for row in rows if row.extra))


async def candidates(
    session: AsyncSession,
    *,
    terms: Terms,
    lexical: bool,
    vector: list[float] | None,
    model: str,
    dimension: int,
    products: list[str] | None,
    language: str | None,
    depth: int,
    own_vector: list[float] | None = None,
) -> list[Candidate]:
    """Up to `depth` chunks from each list asked for: lexical, and vector when given. The
    vector list is ordered by `vector`; its similarities are to `own_vector` when given
    (the question without its expansion, which the weak-match rule judges)."""
    filters, values = _filters(products, language)
    values.update(depth=depth, lexemes=list(terms.chunks))
    ctes: dict[str, str] = {}
    if lexical and (lexical_cte := _lexical(terms, filters, values)):
        ctes["l"] = lexical_cte
    if vector is not None:
        values.update(vector=vector, own=own_vector or vector, model=model, dim=dimension)
    if not ctes and vector is None:
        return []
    for exact in (False, True):
        if vector is not None:
            ctes["v"] = _vector(filters, exact=exact)
        rows = (await session.execute(_statement(ctes, values), values)).all()
        if vector is None or sum(row.vector_rank is not None for row in rows) >= depth:
            break
    return [
        Candidate(
            chunk_id=row.id, text=row.text, title=row.title,
            section_path=tuple(row.section_path), source=row.source, effective=row.effective,
            products=tuple(row.products), language=row.language, matched=list(row.matched),
            lexical=None if row.lexical_rank is None else (row.lexical_rank, row.rank),
            vector=None if row.vector_rank is None else (row.vector_rank, 1 - row.distance),
        )
        for row in rows
        if row.distance is None or not math.isnan(row.distance)
    ]


def _filters(products: list[str] | None, language: str | None) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    values: dict[str, Any] = {}
    if products:
        clauses.append("(c.products && :products OR cardinality(c.products) = 0)")
        values["products"] = [p.strip().upper() for p in products]
    if language:
        clauses.append("c.language = :language")
        values["language"] = language.strip().lower()
    return "".join(f" AND {clause}" for clause in clauses), values


def _lexical(terms: Terms, filters: str, values: dict[str, Any]) -> str | None:
    """The lexical CTE `l` (id, rank, n), binding its values; None when no word is known."""
    query = candidate_query(terms)
    if query is None:
        return None
    values.update(candidates=query, cap=LEXICAL_CAP)
    parts = []
    for i, lexeme in enumerate(lexeme for lexeme, n in terms.chunks.items() if n > 0):
        parts.append(f"ts_rank('{RANK_WEIGHTS}', c.search_vector, CAST(:t{i} AS tsquery), "
                     f"{RANK_NORMALISATION}) * :w{i}")
        values.update({f"t{i}": _tsquery(lexeme), f"w{i}": terms.weight(lexeme)})
    return (
        "l AS (SELECT id, rank, row_number() OVER (ORDER BY rank DESC, id) AS n FROM ("
        f" SELECT c.id, {' + '.join(parts)} AS rank FROM ("
        "  SELECT c.id, c.search_vector FROM knowledge_chunks c"
        f"  WHERE c.search_vector @@ CAST(:candidates AS tsquery){filters} LIMIT :cap"
        " ) c ORDER BY rank DESC, c.id LIMIT :depth) ranked)"
    )


def candidate_query(terms: Terms) -> str | None:
    """The rarest lexemes OR-ed while their chunk counts add up to at most LEXICAL_BUDGET;
    when even the rarest is more common than that, the rarest AND-ed until the count
    expected of independent words is within it. LEXICAL_CAP bounds the rest (words that
    always go together beat the estimate)."""
    known = sorted((n, lexeme) for lexeme, n in terms.chunks.items() if n > 0)
    chosen: list[str] = []
    count = 0
    for n, lexeme in known:
        if count + n > LEXICAL_BUDGET:
            break
        chosen.append(lexeme)
        count += n
    if chosen:
        return " | ".join(map(_tsquery, chosen))
    expected = float(terms.total)
    for n, lexeme in known:
        chosen.append(lexeme)
        expected *= n / terms.total
        if expected <= LEXICAL_BUDGET:
            break
    return " & ".join(map(_tsquery, chosen)) if chosen else None


def _vector(filters: str, *, exact: bool) -> str:
    """The vector CTE `v` (id, distance, n)."""
    # `+ 0` keeps the planner off the HNSW index: the exact scan.
    order = "(c.embedding <=> :vector) + 0" if exact else "c.embedding <=> :vector"
    return (
        "v AS (SELECT id, distance, row_number() OVER (ORDER BY d, id) AS n FROM ("
        " SELECT c.id, c.embedding <=> :vector AS d, c.embedding <=> :own AS distance"
        " FROM knowledge_chunks c"
        f" WHERE c.embedding_model = :model AND c.embedding_dim = :dim{filters}"
        f" ORDER BY {order} LIMIT :depth) nearest)"
    )


_COLUMNS = {
    "l": ("l.n AS lexical_rank, l.rank", "NULL::bigint AS lexical_rank, NULL::float8 AS rank"),
    "v": ("v.n AS vector_rank, v.distance",
          "NULL::bigint AS vector_rank, NULL::float8 AS distance"),
}


def _statement(ctes: dict[str, str], values: dict[str, Any]) -> TextClause:
    found = " UNION ".join(f"SELECT id FROM {name}" for name in ctes)
    columns = ", ".join(_COLUMNS[name][0 if name in ctes else 1] for name in _COLUMNS)
    joins = "".join(f" LEFT JOIN {name} ON {name}.id = c.id" for name in ctes)
    statement = text(
        f"WITH {', '.join(ctes.values())}, found AS ({found}) "
        "SELECT c.id, c.text, c.title, c.section_path, c.products, c.language, d.source, "
        f"d.effective, {columns}, "
        "ARRAY(SELECT l FROM unnest(CAST(:lexemes AS text[])) AS l"
        "      WHERE l = ANY(tsvector_to_array(c.search_vector))) AS matched "
        "FROM found JOIN knowledge_chunks c ON c.id = found.id "
        f"JOIN knowledge_documents d ON d.id = c.document_id{joins}"
    ).bindparams(bindparam("lexemes", type_=ARRAY(Text)))
    if "products" in values:
        statement = statement.bindparams(bindparam("products", type_=ARRAY(String)))
    if "v" in ctes:
        statement = statement.bindparams(bindparam("vector", type_=Vector(EMBEDDING_DIMENSION)),
                                         bindparam("own", type_=Vector(EMBEDDING_DIMENSION)))
    return statement


def _tsquery(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
