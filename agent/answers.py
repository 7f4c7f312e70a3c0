"""The knowledge base as the question flow sees it: passages with a title, section and source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.embedding import Embedder
from knowledge.search import search


@dataclass(frozen=True, slots=True)
class CitedPassage:
    text: str
    title: str
    section: str
    source: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    passages: list[CitedPassage]
    confident: bool


class KnowledgeSearch:
    """Hybrid search over the knowledge base with the configured embedder."""

    def __init__(self, embedder: Embedder, *, k: int = 3) -> None:
        self.embedder = embedder
        self.k = k

    async def search(self, session: AsyncSession, question: str) -> Answer:
        result = await search(session, question, embedder=self.embedder, k=self.k)
        passages = [
            CitedPassage(text=passage.text, title=passage.title,
                         section=" › ".join(passage.section_path),
                         source=passage.source, score=passage.score)
            for passage in result.passages
        ]
        return Answer(passages=passages, confident=result.confident)
