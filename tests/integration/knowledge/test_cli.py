"""`lendline knowledge ingest` and `lendline knowledge ask`, on their own database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.citations import DONT_KNOW
from knowledge.ingest import content_folder
from lendline import cli
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings

DATABASE = "lendline_knowledge_cli"


@pytest.fixture
def cli_settings(
    settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    postgres.drop_database(DATABASE)
    postgres.create_database(DATABASE)
    configured = settings.model_copy(
        update={"database_url": postgres.url(DATABASE), "redis_url": embedded_redis.url()}
    )
    monkeypatch.setattr(cli, "get_settings", lambda: configured)
    yield configured
    postgres.drop_database(DATABASE)


def test_ingest_a_folder_then_ask(
    cli_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "fees.md").write_text(
        "# Fees\n\n## Late fee\n\nTT$100 when an instalment is 5 days late.\n\n"
        "## Early settlement\n\nNo fee for paying off early.\n"
    )
    (folder / "empty.txt").write_text("")

    assert cli.main(["knowledge", "ingest", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "   added  fees.md" in out
    assert "  failed  empty.txt: the file is empty." in out
    assert ("Embedder lendline-hashing-v1 (512): 1 added, 0 updated, 0 unchanged, 0 removed, "
            "1 failed; 2 chunks embedded, 0 re-embedded, 0 deleted.") in out

    assert cli.main(["knowledge", "ask", "How much is the late fee?", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hybrid search, confident\n")
    assert "1. score 0.1136  lexical #1  vector #1  similarity" in out
    assert "   Source: Fees — Late fee  [fees.md]" in out
    answer = "Answer:\n   TT$100 when an instalment is 5 days late.\n\n   Source: Fees — Late fee"
    assert answer in out

    assert cli.main(["knowledge", "ask", "Who won the cricket?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hybrid search, weak match\n")
    assert DONT_KNOW in out


def test_ingest_without_a_folder_syncs_the_bundled_content(
    cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = len(list(content_folder().glob("*.md")))
    assert cli.main(["knowledge", "ingest"]) == 0
    assert f": {documents} added, 0 updated, 0 unchanged, 0 removed, 0 failed;" in (
        capsys.readouterr().out
    )
    assert cli.main(["knowledge", "ingest"]) == 0
    assert f": 0 added, 0 updated, {documents} unchanged, 0 removed, 0 failed;" in (
        capsys.readouterr().out
    )
