"""The local embedder is deterministic, normalised and sensible; settings pick the embedder."""

from __future__ import annotations

import math

from pydantic import SecretStr

from knowledge.embedding import HashingEmbedder, OpenAIEmbedder, embedder_from_settings, terms
from lendline.settings import Settings


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_vectors_are_deterministic_unit_length_and_512_wide() -> None:
    embedder = HashingEmbedder()
    first = await embedder.embed_query("What is the late fee on an auto loan?")
    again = (await HashingEmbedder().embed_documents(["What is the late fee on an auto loan?"]))[0]
    assert first == again
    assert len(first) == embedder.dimension == 512
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0)
    assert embedder.name == "lendline-hashing-v1"


async def test_related_texts_are_closer_than_unrelated_ones_even_with_typos() -> None:
    embedder = HashingEmbedder()
    question, related, unrelated, typo = await embedder.embed_documents([
        "How much is the late payment fee?",
        "Late fees: a fee of TT$100 is charged for each late payment.",
        "Bring your national ID card and two recent payslips.",
        "How much is the lte paymnt fee?",
    ])
    assert round(cosine(question, related), 2) == 0.70
    assert round(cosine(question, unrelated), 2) == -0.02
    # Misspelt words still share character n-grams with the right ones.
    assert round(cosine(question, typo), 2) == 0.50
    assert round(cosine(typo, related), 2) == 0.27


async def test_stop_words_only_give_a_zero_vector() -> None:
    vector = await HashingEmbedder().embed_query("what is it and how?")
    assert not any(vector)


def test_terms_fold_case_accents_plurals_and_drop_stop_words() -> None:
    assert terms("The Payments of the PRÉSTAMO, paying fees") == [
        "payment", "prestamo", "pay", "fee",
    ]


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_settings_choose_the_embedder() -> None:
    assert isinstance(embedder_from_settings(settings()), HashingEmbedder)
    keyed = embedder_from_settings(settings(openai_api_key=SecretStr("sk-test")))
    assert isinstance(keyed, OpenAIEmbedder)
    assert (keyed.name, keyed.dimension) == ("text-embedding-3-small", 512)
    local = settings(openai_api_key=SecretStr("sk-test"), embedding_provider="local")
    assert isinstance(embedder_from_settings(local), HashingEmbedder)
    keyless = settings(embedding_provider="openai", openai_base_url="http://localhost:8080/v1",
                       embedding_model="nomic-embed-text")
    assert embedder_from_settings(keyless).name == "nomic-embed-text"
