"""The knowledge base as the question node uses it: hybrid search with the configured embedder.

`knowledge.search.SearchResult` already is what the node needs (passages with title,
section and source, and whether the match is confident), so it is returned as it is.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.embedding import Embedder
from knowledge.search import SearchResult, search


class KnowledgeSearch:
    """Hybrid search over the knowledge base with the configured embedder."""

    def __init__(self, embedder: Embedder, *, k: int = 3) -> None:
        self.embedder = embedder
        self.k = k

    async def search(self, session: AsyncSession, question: str) -> SearchResult:
        return await search(session, question, embedder=self.embedder, k=self.k)
