"""What the benchmarks that drive a real `lendline serve` share: a scratch embedded PostgreSQL
and Redis, the server (and `lendline worker`) processes with Twilio credentials set and no
LLM, and the figures' arithmetic.

    with scratch_stack("ll-bw-") as stack:
        server = stack.serve(port, worker=True)
        stack.wait_healthy(url, server)
        ...

Every process started is stopped when the block ends, and the scratch data deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lendline.embedded import EmbeddedRedis, scratch_postgres

SID = "AC" + "1" * 32
TOKEN = "bench-twilio-auth-token"
PUBLIC = "https://lendline.bench.example"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stack:
    """Scratch services and the Lendline processes started on them."""

    root: Path
    database_url: str
    redis_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, extra: Mapping[str, str]) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
               "LENDLINE_DATA_DIR": str(self.root / "data"), "LENDLINE_PUBLIC_URL": PUBLIC,
               "LENDLINE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
               "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, **extra}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LENDLINE_OPENAI_API_KEY"):
            env.pop(name, None)
        return env

    def _start(self, name: str, arguments: list[str],
               extra: Mapping[str, str]) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "lendline.cli", *arguments],
                                   env=self.env(extra), stdout=log, stderr=subprocess.STDOUT,
                                   cwd=ROOT)
        self.processes.append(process)
        return process

    def serve(self, port: int, *, worker: bool,
              extra: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`lendline serve` on `port`, with or without its in-process job worker."""
        return self._start("server", ["serve", "--port", str(port)],
                           {"LENDLINE_RUN_WORKER": str(worker).lower(), **(extra or {})})

    def worker(self, index: int, *, concurrency: int,
               extra: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A `lendline worker` process on the same queue (start it once the server is up:
        the server applies the migrations)."""
        return self._start(f"worker-{index}", ["worker", "--concurrency", str(concurrency)],
                           extra or {})

    def wait_healthy(self, url: str, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log = self.root / "server.log"
                raise RuntimeError(f"The server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError("The server did not start in 5 minutes.")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@contextlib.contextmanager
def scratch_stack(prefix: str) -> Iterator[Stack]:
    """A scratch PostgreSQL database and Redis; processes started on them stop at the end."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    with scratch_postgres(prefix + "pg-") as postgres:
        postgres.create_database("bench")
        redis = EmbeddedRedis(root / "redis")
        stack = Stack(root, postgres.url("bench"), redis.url())
        try:
            yield stack
        finally:
            stack.stop()
            redis.close()
            shutil.rmtree(root, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far (Linux): unlike wall time, it does not grow when
    other processes take the machine's cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile of `values` (seconds) in milliseconds."""
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


def load_average() -> str:
    """The machine's 1/5/15-minute load averages, to print beside figures."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())
