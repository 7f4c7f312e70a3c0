"""`lendline knowledge ingest [FOLDER]` and `lendline knowledge ask "question"`.

Both start the same services as `serve` (embedded PostgreSQL unless DATABASE_URL is set,
migrations applied) and use the embedder the settings choose.
"""

from __future__ import annotations

import argparse
import asyncio
import textwrap
from pathlib import Path
from typing import Any

from lendline.settings import Settings


def add_commands(commands: Any) -> None:
    """Register the `knowledge` command group on the CLI's subparsers."""
    group = commands.add_parser("knowledge", help="ingest documents and ask the knowledge base")
    actions = group.add_subparsers(dest="action", required=True)

    ingest = actions.add_parser("ingest", help="sync a folder of documents into the knowledge base")
    ingest.add_argument("folder", nargs="?", type=Path, default=None,
                        help="default: the bundled content")
    ingest.add_argument("--collection", default=None,
                        help="collection to sync (default: the folder's name, or 'bundled')")
    ingest.set_defaults(run=_ingest)

    ask = actions.add_parser("ask", help="show the passages that answer a question")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=5)
    ask.add_argument("--product", action="append", default=None, help="a product code; repeatable")
    ask.add_argument("--language", default=None)
    ask.add_argument("--mode", choices=["hybrid", "lexical", "vector"], default="hybrid")
    ask.set_defaults(run=_ask)


def _ingest(settings: Settings, args: argparse.Namespace) -> None:
    from core.db.session import unit_of_work
    from knowledge.embedding import embedder_from_settings
    from knowledge.ingest import BUNDLED, content_folder, ingest_folder
    from lendline.services import start_services

    folder = args.folder or content_folder()
    collection = args.collection or (None if args.folder else BUNDLED)

    async def run() -> None:
        services = await start_services(settings)
        embedder = embedder_from_settings(settings)
        try:
            async with unit_of_work(services.session_factory) as session:
                report = await ingest_folder(
                    session, folder, embedder=embedder, collection=collection, actor="cli"
                )
        finally:
            await services.close()
        for label, sources in (("added", report.added), ("updated", report.updated),
                               ("removed", report.removed)):
            for source in sources:
                print(f"{label:>8}  {source}")
        for error in report.errors:
            print(f"  failed  {error.message}")
        print(f"Embedder {embedder.name} ({embedder.dimension}): {report.summary()}.")

    asyncio.run(run())


def _ask(settings: Settings, args: argparse.Namespace) -> None:
    from core.db.session import unit_of_work
    from knowledge.citations import answer, citation
    from knowledge.embedding import embedder_from_settings
    from knowledge.search import search
    from lendline.services import start_services

    async def run() -> None:
        services = await start_services(settings)
        try:
            async with unit_of_work(services.session_factory) as session:
                result = await search(
                    session, args.question, embedder=embedder_from_settings(settings), k=args.k,
                    products=args.product, language=args.language, mode=args.mode,
                )
        finally:
            await services.close()
        print(f"{result.mode} search, {'confident' if result.confident else 'weak match'}\n")
        for number, p in enumerate(result.passages, 1):
            similarity = "-" if p.similarity is None else f"{p.similarity:.3f}"
            print(f"{number}. score {p.score:.4f}  lexical #{p.lexical_rank or '-'}  "
                  f"vector #{p.vector_rank or '-'}  similarity {similarity}  "
                  f"coverage {p.coverage:.2f}")
            print(f"   {citation(p)}  [{p.source}]")
            print(textwrap.indent(textwrap.shorten(p.text, 400, placeholder=" …"), "   "), "\n")
        print("Answer:\n" + textwrap.indent(answer(result).text, "   "))

    asyncio.run(run())
