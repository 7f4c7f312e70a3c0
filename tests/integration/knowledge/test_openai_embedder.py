"""The OpenAI-compatible embedder through the real langchain-openai client, HTTP mocked by respx."""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr
from respx.mocks import HTTPCoreMocker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge.embedding import EmbeddingError, HashingEmbedder, OpenAIEmbedder
from knowledge.ingest import ingest_folder
from knowledge.search import search

BASE_URL = "https://embeddings.example.test/v1"
MODEL = "text-embedding-3-small"


def encode(vector: list[float], encoding: str | None) -> object:
    if encoding == "base64":
        return base64.b64encode(array("f", vector).tobytes()).decode()
    return vector


class FakeEmbeddingsServer:
    """Answers POST /embeddings like the OpenAI API, with the local embedder's vectors."""

    def __init__(self, *, width: int = 512) -> None:
        self.requests: list[dict[str, object]] = []
        self.width = width

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        local = HashingEmbedder(dimension=self.width)
        data = [
            {"object": "embedding", "index": i,
             "embedding": encode(local.embed(text), body.get("encoding_format"))}
            for i, text in enumerate(body["input"])
        ]
        return httpx.Response(200, json={
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 10, "total_tokens": 10},
        })


# The openai client sends through httpx2 and httpcore2, which respx does not patch by itself;
# its httpcore mocker patches httpcore2's connection pools too (the same interface).
HTTPCORE2_POOLS = (
    "httpcore2._async.connection_pool.AsyncConnectionPool",
    "httpcore2._sync.connection_pool.ConnectionPool",
)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    HTTPCoreMocker.add_targets(*HTTPCORE2_POOLS)
    try:
        with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
            yield router
    finally:
        HTTPCoreMocker.remove_targets(*HTTPCORE2_POOLS)


def embedder() -> OpenAIEmbedder:
    return OpenAIEmbedder(model=MODEL, api_key=SecretStr("sk-test"), base_url=BASE_URL)


def folder(tmp_path: Path) -> Path:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "fees.md").write_text(
        "# Fees\n\n## Late fee\n\nTT$100 for each late instalment.\n\n"
        "## Arrangement fee\n\nNone on a Salary Advance.\n"
    )
    return tmp_path / "kb"


async def test_ingest_and_search_through_the_openai_api(
    session: AsyncSession, tmp_path: Path, api: respx.MockRouter
) -> None:
    server = FakeEmbeddingsServer()
    route = api.post("/embeddings").mock(side_effect=server)

    report = await ingest_folder(session, folder(tmp_path), embedder=embedder())
    result = await search(session, "how much is the late fee", embedder=embedder(), k=2)

    assert (report.added, report.chunks_embedded, report.errors) == (["fees.md"], 2, [])
    assert route.call_count == 2
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-test"
    first, query = server.requests
    assert (first["model"], first["dimensions"]) == (MODEL, 512)
    assert first["input"] == [
        "Fees — Late fee\n\nTT$100 for each late instalment.",
        "Fees — Arrangement fee\n\nNone on a Salary Advance.",
    ]
    assert query["input"] == ["how much is the late fee"]
    stored = await session.execute(
        select(KnowledgeChunk.embedding_model, KnowledgeChunk.embedding_dim).distinct()
    )
    assert stored.all() == [(MODEL, 512)]
    assert [p.section for p in result.passages] == ["Late fee", "Arrangement fee"]
    local = HashingEmbedder()
    question, late = local.embed("how much is the late fee"), local.embed(first["input"][0])
    expected = sum(a * b for a, b in zip(question, late, strict=True))
    assert result.passages[0].similarity == pytest.approx(expected, abs=1e-6)


async def test_a_failing_service_is_a_per_file_error_and_stores_nothing(
    session: AsyncSession, tmp_path: Path, api: respx.MockRouter
) -> None:
    api.post("/embeddings").mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad model", "type": "x"}})
    )
    report = await ingest_folder(session, folder(tmp_path), embedder=embedder())

    assert report.added == []
    assert [e.source for e in report.errors] == ["fees.md"]
    assert report.errors[0].message.startswith("The embedding service failed: Error code: 400")
    assert await session.scalar(select(func.count()).select_from(KnowledgeDocument)) == 0


async def test_vectors_of_the_wrong_width_are_refused(api: respx.MockRouter) -> None:
    api.post("/embeddings").mock(side_effect=FakeEmbeddingsServer(width=1536))
    with pytest.raises(EmbeddingError, match="did not return 1 vectors of 512 components"):
        await embedder().embed_query("late fee")
