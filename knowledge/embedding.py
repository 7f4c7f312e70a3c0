"""Embedders behind one interface: OpenAI-compatible when configured, a local one otherwise.

Every vector has `EMBEDDING_DIMENSION` components (the database column is fixed at that
size for its HNSW index): the local embedder emits it and the OpenAI one requests it with
the `dimensions` parameter. Chunks record the embedder's `name` and `dimension`; ingest
re-embeds whatever another embedder produced, and search compares only like with like.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Protocol

from pydantic import SecretStr

from core.errors import DomainError
from core.knowledge.models import EMBEDDING_DIMENSION


class EmbeddingError(DomainError):
    """The embedding service failed or answered with vectors of the wrong shape."""

    code = "embedding_error"


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    async def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...


class EmbeddingSettings(Protocol):
    """The settings `embedder_from_settings` reads (`lendline.settings.Settings` has them)."""

    @property
    def embedding_provider(self) -> str: ...

    @property
    def embedding_model(self) -> str: ...

    @property
    def openai_api_key(self) -> SecretStr | None: ...

    @property
    def openai_base_url(self) -> str | None: ...


def embedder_from_settings(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings ask for: `embedding_provider` "openai" (OpenAI-compatible,
    `embedding_model` at `openai_base_url`), "local" (`HashingEmbedder`), or "auto": openai
    when `openai_api_key` is set, else local."""
    key = settings.openai_api_key
    has_key = key is not None and bool(key.get_secret_value())
    provider = settings.embedding_provider
    if provider == "local" or (provider == "auto" and not has_key):
        return HashingEmbedder()
    return OpenAIEmbedder(
        model=settings.embedding_model,
        # A keyless OpenAI-compatible server still needs the client to send some key.
        api_key=key if key is not None and has_key else SecretStr("unused"),
        base_url=settings.openai_base_url,
    )


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves i'm i've i'd it's don't can't what's let's
    de la el en y los las del un una por con para es se que al lo su""".split()
)


class HashingEmbedder:
    """Deterministic local embeddings: hashed word and character n-gram features.

    Words are lower-cased, accents folded, stop words dropped and plurals and -ing/-ed forms
    trimmed; each distinct word counts 1 + ln(occurrences). A word contributes itself (weight
    1) and its character 3- to 5-grams (sharing `CHAR_WEIGHT` between them, so typos and
    other forms of a word still overlap). Features are signed-hashed into `dimension`
    buckets and the vector is normalised to length 1. It knows words, not meanings: search
    gives its ranking less weight than a semantic embedder's. Change the features, change
    `name`: stored vectors are then re-embedded.
    """

    CHAR_WEIGHT = 0.3

    def __init__(self, dimension: int = EMBEDDING_DIMENSION) -> None:
        self._dimension = dimension

    @property
    def name(self) -> str:
        return "lendline-hashing-v1"

    @property
    def dimension(self) -> int:
        return self._dimension

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed(text) for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return self.embed(text)

    def embed(self, text: str) -> list[float]:
        """The vector of `text` (all zeros when it has no words but stop words)."""
        vector = [0.0] * self._dimension
        for word, count in Counter(terms(text)).items():
            weight = 1.0 + math.log(count)
            for index, value in _word_features(word, self._dimension):
                vector[index] += weight * value
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector


def terms(text: str) -> list[str]:
    """The words of `text` as the local embedder sees them, in order."""
    folded = text.lower()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded.replace("’", "'"))
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [_stem(w) for w in _WORD.findall(folded) if w not in STOPWORDS]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _word_features(word: str, dimension: int) -> tuple[tuple[int, float], ...]:
    grams = [f"<{word}>"[i : i + n] for n in (3, 4, 5) for i in range(len(word) + 3 - n)]
    features: dict[int, float] = defaultdict(float)
    index, sign = _bucket("w:" + word, dimension)
    features[index] += sign
    for gram in grams:
        index, sign = _bucket("c:" + gram, dimension)
        features[index] += sign * HashingEmbedder.CHAR_WEIGHT / len(grams)
    return tuple(features.items())


@lru_cache(maxsize=65536)
def _bucket(feature: str, dimension: int) -> tuple[int, int]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
    return digest % dimension, 1 if digest >> 63 else -1


class OpenAIEmbedder:
    """OpenAI-compatible embeddings through `langchain_openai.OpenAIEmbeddings`, asking for
    `dimension` components (text-embedding-3-* support shortened vectors)."""

    def __init__(
        self,
        *,
        model: str,
        api_key: SecretStr,
        base_url: str | None = None,
        dimension: int = EMBEDDING_DIMENSION,
        timeout: float = 30.0,
    ) -> None:
        # Imported here: an offline process never loads the OpenAI client.
        from langchain_openai import OpenAIEmbeddings

        self._model = model
        self._dimension = dimension
        self._client = OpenAIEmbeddings(
            model=model,
            dimensions=dimension,
            openai_api_key=api_key,
            openai_api_base=base_url,
            request_timeout=timeout,
            max_retries=2,
            # Chunks are far below the context limit; tokenising first would need tiktoken's
            # encoding files, a download.
            check_embedding_ctx_length=False,
        )

    @property
    def name(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        import openai  # loaded by langchain_openai already; here for its error type

        try:
            vectors = await self._client.aembed_documents(texts)
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"The embedding service failed: {exc}") from exc
        if len(vectors) != len(texts) or any(len(v) != self._dimension for v in vectors):
            raise EmbeddingError(
                f"The embedding service did not return {len(texts)} vectors of "
                f"{self._dimension} components for model {self._model}."
            )
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]
