"""The privacy commands end to end through `lendline.cli.main`, on the test database: one
unit of work each (`lendline.cli_session.in_transaction`), a domain error as a readable exit."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from lendline.cli import main
from lendline.embedded import EmbeddedRedis
from lendline.settings import Settings, get_settings


@pytest.fixture
def configured(database_url: str, embedded_redis: EmbeddedRedis, settings: Settings,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment a command reads, pointing at the test database and Redis; the logging
    set-up `main` does is undone afterwards."""
    assert settings.secret_key is not None
    for name, value in {"DATABASE_URL": database_url, "REDIS_URL": embedded_redis.url(),
                        "LENDLINE_SECRET_KEY": settings.secret_key.get_secret_value(),
                        "LENDLINE_ENVIRONMENT": "test",
                        "LENDLINE_DATA_DIR": str(settings.data_dir)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    get_settings.cache_clear()
    for handler in set(root.handlers) - set(handlers):
        root.removeHandler(handler)
    root.setLevel(level)


def test_exporting_an_unknown_customer_exits_with_a_message(configured: None) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export-customer", "987654"])
    assert "987654" in str(exited.value)


def test_a_dry_run_of_retention_reports_and_keeps_everything(
        configured: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply-retention", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("Would have: ")
