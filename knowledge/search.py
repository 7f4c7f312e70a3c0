"""Search the knowledge base: full-text, vector or both fused by reciprocal rank fusion.

`search()` returns the best passages with their citation fields and scores, and whether the
best is a confident match. Retrieval (`knowledge.retrieval`) runs two statements: the
question's term statistics, then both candidate lists with the passages' fields.

- Query expansion (`knowledge.vocabulary`): the question in standard spelling, plus the
  lender's words for the borrower's phrases at EXPANSION_WEIGHT, in the lexical list and
  (local embedder) blended into the question's vector.
- Hybrid: reciprocal rank fusion. Each list adds weight / (RRF_K + rank) for every chunk it
  ranks and the sum orders the passages. The lexical list weighs 1; the vector list weighs 1
  with a semantic embedder and LOCAL_VECTOR_WEIGHT with the local `HashingEmbedder`, whose
  vectors are hashed words: a second, weaker lexical signal (tuned on the evaluation set;
  see docs/knowledge.md).
- Confidence, the weak-match rule (`_confident`): the best passage must hold at least
  MIN_COVERAGE of the question's information (its lexemes weighted by rarity) or be at
  least MIN_SIMILARITY_LOCAL (local embedder) or MIN_SIMILARITY_SEMANTIC close by vector.
  Otherwise the agent says it does not know and offers a person instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from knowledge.chunking import SECTION_SEPARATOR
from knowledge.embedding import Embedder, HashingEmbedder
from knowledge.retrieval import EXPANSION_WEIGHT, Candidate, candidates, question_terms
from knowledge.vocabulary import Expansion, expand

Mode = Literal["hybrid", "lexical", "vector"]
MODES: tuple[Mode, ...] = ("hybrid", "lexical", "vector")
RRF_K = 10
LOCAL_VECTOR_WEIGHT = 0.25
CANDIDATES = 20
# The weak-match rule, calibrated on the evaluation set's unanswerable questions with the
# local embedder; the semantic embedder's threshold is a conservative assumption.
MIN_COVERAGE = 0.5
MIN_SIMILARITY_LOCAL = 0.25
MIN_SIMILARITY_SEMANTIC = 0.5


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with what a citation needs. `text` is quoted material: data for
    the reader, never instructions to the agent. `score` is the mode's score; `similarity`
    the cosine similarity when the vector list found the chunk; `coverage` the share of the
    question's information the chunk holds; ranks are 1-based within each list."""

    chunk_id: int
    text: str
    title: str
    section_path: tuple[str, ...]
    source: str
    effective: dt.date | None
    products: tuple[str, ...]
    language: str
    score: float
    similarity: float | None
    coverage: float
    lexical_rank: int | None
    vector_rank: int | None

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)


@dataclass(frozen=True)
class SearchResult:
    query: str
    mode: Mode
    passages: list[Passage]
    confident: bool

    @property
    def best(self) -> Passage | None:
        return self.passages[0] if self.passages else None


async def search(
    session: AsyncSession,
    query: str,
    *,
    embedder: Embedder,
    k: int = 5,
    products: list[str] | None = None,
    language: str | None = None,
    mode: Mode = "hybrid",
) -> SearchResult:
    """The `k` best passages for `query`, best first, with their scores.

    `products` keeps chunks tagged with any of those product codes or with none (general
    policy applies to every product); `language` keeps chunks in that language. The score
    is the fused RRF score (hybrid), `ts_rank` (lexical) or cosine similarity (vector).
    """
    query = " ".join(query.split())
    if mode not in MODES:
        raise ValidationError(f"Search mode must be one of {', '.join(MODES)}.")
    if not 1 <= k <= 50:
        raise ValidationError("Ask for between 1 and 50 passages.")
    if not query:
        return SearchResult(query, mode, [], confident=False)
    local = isinstance(embedder, HashingEmbedder)
    expansion = expand(query)
    terms = await question_terms(session, expansion.query, expansion.extra)
    own, vector = (None, None) if mode == "lexical" else await _vectors(
        embedder, expansion, blend=local)
    found = await candidates(
        session, terms=terms, lexical=mode != "vector",
        vector=vector if vector and any(vector) else None, own_vector=own,
        model=embedder.name, dimension=embedder.dimension,
        products=products, language=language, depth=max(CANDIDATES, k),
    )
    scored = sorted(
        ((_score(mode, c, LOCAL_VECTOR_WEIGHT if local else 1.0), c) for c in found),
        key=lambda pair: (-pair[0], pair[1].chunk_id),
    )
    passages = [_passage(c, score, terms.coverage(c.matched)) for score, c in scored[:k]]
    threshold = MIN_SIMILARITY_LOCAL if local else MIN_SIMILARITY_SEMANTIC
    return SearchResult(query, mode, passages, confident=_confident(passages, threshold))


async def _vectors(
    embedder: Embedder, expansion: Expansion, *, blend: bool
) -> tuple[list[float], list[float]]:
    """The question's own vector, and the one to search with: with `blend`, its own plus
    EXPANSION_WEIGHT times its expansion's, normalised. Only the local embedder blends: a
    semantic one already knows a car from an auto, and a second request would cost a round
    trip per question."""
    vector = await embedder.embed_query(expansion.query)
    if not blend or not expansion.extra:
        return vector, vector
    extra = await embedder.embed_query(expansion.extra)
    blended = [v + EXPANSION_WEIGHT * e for v, e in zip(vector, extra, strict=True)]
    norm = math.sqrt(sum(v * v for v in blended))
    return vector, [v / norm for v in blended] if norm else blended


def _confident(passages: list[Passage], min_similarity: float) -> bool:
    """The best passage is a strong match when it holds at least MIN_COVERAGE of the
    question's information (its lexemes weighted by rarity; a word the knowledge base has
    never seen, "bitcoin", weighs most) or its vector is at least `min_similarity` close."""
    if not passages:
        return False
    best = passages[0]
    if best.coverage >= MIN_COVERAGE:
        return True
    return best.similarity is not None and best.similarity >= min_similarity


def _score(mode: Mode, candidate: Candidate, vector_weight: float) -> float:
    lexical, vector = candidate.lexical, candidate.vector
    if mode == "lexical":
        return lexical[1] if lexical else 0.0
    if mode == "vector":
        return vector[1] if vector else 0.0
    return sum(weight / (RRF_K + found[0])
               for found, weight in ((lexical, 1.0), (vector, vector_weight)) if found)


def _passage(candidate: Candidate, score: float, coverage: float) -> Passage:
    return Passage(
        chunk_id=candidate.chunk_id, text=candidate.text, title=candidate.title,
        section_path=candidate.section_path, source=candidate.source,
        effective=candidate.effective, products=candidate.products,
        language=candidate.language, score=score,
        similarity=candidate.vector[1] if candidate.vector else None, coverage=coverage,
        lexical_rank=candidate.lexical[0] if candidate.lexical else None,
        vector_rank=candidate.vector[0] if candidate.vector else None,
    )
