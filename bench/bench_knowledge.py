"""Knowledge search: retrieval quality on the evaluation set, and latency on big corpora.

Run from the repository root: `python bench/bench_knowledge.py [--sizes 10000,100000]
[--queries 200] [--misses] [--quality-only]`, on a fresh embedded PostgreSQL with the offline
embedder.
- Quality: the bundled content is ingested and every question of bench/knowledge_eval.yaml
  is searched in each mode (lexical, vector, hybrid), top 5. A hit is a passage from the
  expected document (file stem) whose section path holds the expected heading. Recall@1,
  recall@5 and MRR over the answerable questions; then the weak-match rule: answerable
  questions judged confident, unanswerable ones (doc: null) judged not confident. Hybrid
  figures are also given for the even- and odd-indexed halves of the set: the query
  vocabulary (knowledge/vocabulary.py) was written from the even half's misses only, so the
  odd half shows how it carries to questions it never saw. `--misses` lists the questions
  hybrid search misses, with their index; `--quality-only` skips the latency part.
- Latency: a synthetic corpus (documents of lending-like text drawn from the bundled
  content's vocabulary by a Zipf law, so "loan" or "fee" are in most chunks, plus the
  bundled content) is embedded by the offline embedder and bulk-loaded with COPY, indexes
  dropped during the load and rebuilt after (HNSW m=16, ef_construction=64 as migration
  0006; GIN), then ANALYZE. `search()` for the top 5 is timed end to end (statistics,
  embedding the question, the SQL, building passages) over the evaluation questions in
  turn, after a warm-up: p50 and p95 per mode at each size. The load average is printed:
  other work on the machine shows in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
import yaml
from figures import figure
from pgvector import Vector
from pgvector.psycopg import register_vector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.session import make_engine, make_session_factory
from knowledge.chunking import embedding_input
from knowledge.embedding import HashingEmbedder
from knowledge.ingest import BUNDLED, content_folder, ingest_folder
from knowledge.search import MODES, SearchResult, search
from lendline.embedded import scratch_postgres

EVAL = Path(__file__).with_name("knowledge_eval.yaml")
CHUNKS_PER_DOCUMENT = 8
FIRST_SYNTHETIC_DOCUMENT = 1_000_000
SPAN = 10_000
SEED = 20260101


def hit_rank(result: SearchResult, doc: str, section: str) -> int | None:
    for rank, passage in enumerate(result.passages, 1):
        if Path(passage.source).stem == doc and section.strip() in passage.section_path:
            return rank
    return None


def figures(ranks: list[int | None]) -> tuple[float, float, float]:
    """Recall@1, recall@5 and MRR of the hit ranks (None: missed)."""
    n = len(ranks) or 1
    return (sum(1 for r in ranks if r == 1) / n, sum(1 for r in ranks if r is not None) / n,
            sum(1 / r for r in ranks if r is not None) / n)


async def quality(
    factory: async_sessionmaker[AsyncSession], entries: list[dict[str, Any]], misses: bool
) -> None:
    embedder = HashingEmbedder()
    answerable = [e for e in entries if e.get("doc")]
    unanswerable = [e for e in entries if not e.get("doc")]
    print(f"Evaluation set: {len(answerable)} answerable and {len(unanswerable)} unanswerable "
          f"questions, embedder {embedder.name}, top 5")
    print(f"  {'mode':<8} {'recall@1':>8} {'recall@5':>8} {'MRR':>6}   confident when "
          "answerable   not confident when unanswerable")
    missed: list[str] = []
    halves: list[str] = []
    async with factory() as session:
        for mode in MODES:
            ranks: list[int | None] = []
            sure = unsure = 0
            for entry in answerable:
                result = await search(session, entry["q"], embedder=embedder, mode=mode)
                ranks.append(hit_rank(result, entry["doc"], entry["section"]))
                sure += result.confident
                if mode == "hybrid" and ranks[-1] is None:
                    got = ", ".join(f"{Path(p.source).stem}#{p.section}"
                                    for p in result.passages[:2])
                    missed.append(f"  [{entry['index']}] {entry['q']!r}: {entry['doc']}#"
                                  f"{entry['section']}; got {got}")
            for entry in unanswerable:
                result = await search(session, entry["q"], embedder=embedder, mode=mode)
                unsure += not result.confident
            n = len(answerable)
            recall1, recall5, mrr = figures(ranks)
            print(f"  {mode:<8} {recall1:8.3f} {recall5:8.3f} {mrr:6.3f}   "
                  f"{sure:>9}/{n:<14} {unsure:>8}/{len(unanswerable)}")
            figure(f"recall@5, {mode}", recall5)
            if mode == "hybrid":
                for name, parity in (("even", 0), ("odd", 1)):
                    half = [r for r, e in zip(ranks, answerable, strict=True)
                            if e["index"] % 2 == parity]
                    recall1, recall5, mrr = figures(half)
                    halves.append(f"  hybrid, {name} half ({len(half)} answerable): "
                                  f"recall@1 {recall1:.3f}  recall@5 {recall5:.3f}  "
                                  f"MRR {mrr:.3f}")
    print("\n".join(halves))
    if misses and missed:
        print("Hybrid misses (expected; top 2 found):")
        print("\n".join(missed))


_WORDS: list[str] = []
_CUMULATIVE: list[float] = []


def _vocabulary() -> None:
    """Words of the bundled content by frequency, then made-up words, Zipf-weighted: lending
    words stay as common as in real documents (once per worker process)."""
    counts: Counter[str] = Counter()
    for path in content_folder().glob("*.md"):
        counts.update(re.findall(r"[a-z]+", path.read_text().lower()))
    words = [w for w, _ in counts.most_common()]
    rng = random.Random(SEED)
    syllables = ["ka", "lo", "ven", "tri", "mar", "sol", "de", "pra", "nu", "gel", "tor", "bi"]
    while len(words) < 20_000:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in counts:
            counts[word] = 1
            words.append(word)
    total = 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        _CUMULATIVE.append(total)
    _WORDS.extend(words)


def synthetic_rows(span: tuple[int, int]) -> list[tuple[Any, ...]]:
    """Chunks span[0]..span[1]-1: (document, position, title, section, text, vector); the
    vector as float32, compact for the trip back from the worker process."""
    embedder = HashingEmbedder()
    rows = []
    for n in range(*span):
        rng = random.Random(SEED + n)
        words = [" ".join(rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=rng.randint(8, 18)))
                 for _ in range(rng.randint(3, 7))]
        body = " ".join(sentence.capitalize() + "." for sentence in words)
        title = " ".join(rng.choices(_WORDS[50:2000], k=3)).title()
        section = " ".join(rng.choices(_WORDS[50:2000], k=2)).capitalize()
        vector = Vector(embedder.embed(embedding_input(title, section, body)))
        rows.append((FIRST_SYNTHETIC_DOCUMENT + n // CHUNKS_PER_DOCUMENT,
                     n % CHUNKS_PER_DOCUMENT, title, section, body, vector))
    return rows


def spans(start: int, end: int) -> Iterator[tuple[int, int]]:
    for first in range(start, end, SPAN):
        yield first, min(first + SPAN, end)


def bulk_load(url: str, start: int, end: int) -> None:
    """COPY synthetic chunks start..end-1 and their documents, then rebuild the indexes."""
    embedder = HashingEmbedder()
    clock = time.perf_counter()
    with psycopg.connect(url) as conn, ProcessPoolExecutor(2, initializer=_vocabulary) as pool:
        register_vector(conn)
        conn.execute("DROP INDEX IF EXISTS ix_knowledge_chunks_embedding")
        conn.execute("DROP INDEX IF EXISTS ix_knowledge_chunks_search_vector")
        first = start // CHUNKS_PER_DOCUMENT
        with conn.cursor().copy(
            "COPY knowledge_documents (id, collection, source, title, format, content_hash, "
            "products, language, updated_at) FROM STDIN"
        ) as copy:
            for d in range(first, math.ceil(end / CHUNKS_PER_DOCUMENT)):
                copy.write_row((FIRST_SYNTHETIC_DOCUMENT + d, "synthetic", f"synthetic-{d}.md",
                                f"Synthetic {d}", "md", "-", "{}", "en", "2026-01-01T00:00Z"))
        with conn.cursor().copy(
            "COPY knowledge_chunks (document_id, position, title, section, section_path, text, "
            "content_hash, products, language, embedding, embedding_model, embedding_dim) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int4", "varchar", "text", "text[]", "text", "varchar",
                            "varchar[]", "varchar", "vector", "varchar", "int2"])
            for rows in pool.map(synthetic_rows, spans(start, end)):
                for document, position, title, section, body, vector in rows:
                    copy.write_row((document, position, title, section, [section], body, "-",
                                    [], "en", vector, embedder.name, embedder.dimension))
        conn.commit()
        loaded = time.perf_counter() - clock
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(
            "CREATE INDEX ix_knowledge_chunks_embedding ON knowledge_chunks "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        conn.execute(
            "CREATE INDEX ix_knowledge_chunks_search_vector ON knowledge_chunks "
            "USING gin (search_vector)"
        )
        conn.execute("ANALYZE knowledge_documents")
        conn.execute("ANALYZE knowledge_chunks")
        conn.commit()
    print(f"  {end - start} synthetic chunks generated, embedded and copied in {loaded:.0f} s, "
          f"indexes built in {time.perf_counter() - clock - loaded:.0f} s")


async def latency(
    factory: async_sessionmaker[AsyncSession], questions: list[str], count: int, chunks: int
) -> None:
    embedder = HashingEmbedder()
    async with factory() as session:
        for mode in MODES:
            for question in questions[:20]:
                await search(session, question, embedder=embedder, mode=mode)
            times = []
            for n in range(count):
                started = time.perf_counter()
                await search(session, questions[n % len(questions)], embedder=embedder,
                             mode=mode)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[math.ceil(0.95 * len(times)) - 1]
            print(f"  {mode:<8} p50 {statistics.median(times):5.1f} ms   p95 {p95:5.1f} ms")
            figure(f"top-5 search p95, {mode}, {chunks:,} chunks", p95, "ms")


async def run(url: str, sizes: list[int], count: int, misses: bool) -> None:
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    entries = [{**entry, "index": index}
               for index, entry in enumerate(yaml.safe_load(EVAL.read_text()))]
    try:
        async with factory() as session, session.begin():
            report = await ingest_folder(session, content_folder(), embedder=HashingEmbedder(),
                                         collection=BUNDLED)
        print(f"Bundled content: {report.summary()}")
        await quality(factory, entries, misses)
        questions = [entry["q"] for entry in entries]
        loaded = 0
        for size in sizes:
            print(f"\nLoading up to {size} synthetic chunks:")
            await asyncio.to_thread(bulk_load, url, loaded, size)
            loaded = size
            async with factory() as session:
                total = await session.scalar(text("SELECT count(*) FROM knowledge_chunks"))
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"Top-5 search over {total} chunks, {count} questions per mode "
                  f"(load average {load} on {os.cpu_count()} CPUs):")
            await latency(factory, questions, count, total)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--quality-only", action="store_true")
    args = parser.parse_args()
    sizes = [] if args.quality_only else [int(size) for size in args.sizes.split(",")]
    with scratch_postgres("ll-bench-knowledge-") as postgres:
        url = postgres.migrated_database("bench_knowledge")
        asyncio.run(run(url, sizes, args.queries, args.misses))


if __name__ == "__main__":
    main()
