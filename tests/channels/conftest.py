"""Channel tests talk to the real app over real sockets: `live_app` starts `create_app` under
uvicorn in a thread, on its own migrated database (seeded with the demo lender as of the real
today by the app's own start-up) and the session's embedded Redis."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from lendline.app import create_app
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-auth-token"


@dataclass(frozen=True)
class LiveApp:
    url: str  # http://127.0.0.1:<port>
    app: FastAPI
    settings: Settings
    loop: asyncio.AbstractEventLoop

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's own event loop (its services live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


def query(app: LiveApp, sql: str, **params: Any) -> Any:
    """The first column of the first row of `sql`, run in the app's database."""
    async def run() -> Any:
        async with app.app.state.session_factory() as session:
            return await session.scalar(text(sql), params)
    return app.run(run())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def live_app(
    settings: Settings, postgres: EmbeddedPostgres, redis: EmbeddedRedis, *, database: str,
    **overrides: Any,
) -> Iterator[LiveApp]:
    """The app serving on a free port until the block ends; `overrides` change settings."""
    port = free_port()
    configured = settings.model_copy(update={
        "database_url": postgres.migrated_database(database), "redis_url": redis.url(),
        "seed_demo_data": True, "run_worker": True, "port": port,
        "public_url": f"http://127.0.0.1:{port}", **overrides,
    })
    app = create_app(configured)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", ws="websockets-sansio"))
    loops: list[asyncio.AbstractEventLoop] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The app did not start; see the log above.")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{url}/healthz").status_code == 200
    try:
        yield LiveApp(url=url, app=app, settings=configured, loop=loops[0])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
