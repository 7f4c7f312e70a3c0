"""Channel tests talk to the real app over real sockets: `live_app` starts `create_app` under
uvicorn in a thread, on its own database and the session's embedded Redis. A seeded database
is a copy of one template seeded once per run with the demo lender as of the real today and
the bundled knowledge base (seeding takes ~25 s, a copy under a second); the app's own
start-up then finds it seeded and its knowledge unchanged."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from lendline.app import create_app
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.services import seed_demo_data, start_services
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
    seeded = overrides.get("seed_demo_data", True)
    url = (demo_database(settings, postgres, redis, database) if seeded
           else postgres.migrated_database(database))
    configured = settings.model_copy(update={
        "database_url": url, "redis_url": redis.url(), "seed_demo_data": True,
        "run_worker": True, "port": port, "public_url": f"http://127.0.0.1:{port}", **overrides,
    })
    with serving(create_app(configured), configured) as live:
        yield live


DEMO_TEMPLATE = "demo_template"
_templates: set[str] = set()  # the servers (by data folder) whose template is seeded


def demo_database(settings: Settings, postgres: EmbeddedPostgres, redis: EmbeddedRedis,
                  database: str) -> str:
    """The URL of a new database `database` holding the demo lender, copied from the template."""
    if str(postgres.data_dir) not in _templates:
        seeder = settings.model_copy(update={
            "database_url": postgres.migrated_database(DEMO_TEMPLATE), "redis_url": redis.url(),
            "run_worker": False})

        async def seed() -> None:
            services = await start_services(seeder, migrate=True)
            try:
                today = dt.datetime.now(ZoneInfo(seeder.timezone)).date()
                await seed_demo_data(services, cipher=seeder.field_cipher(), today=today)
            finally:
                await services.close()

        # In a thread of its own: the caller may be inside a running event loop.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, seed()).result()
        _templates.add(str(postgres.data_dir))
    postgres.create_database(database, template=DEMO_TEMPLATE)
    return postgres.url(database)


@contextlib.contextmanager
def serving(app: FastAPI, configured: Settings, **uvicorn_options: Any) -> Iterator[LiveApp]:
    """`app` under uvicorn on `configured.port`, in a thread of its own, until the block ends;
    `uvicorn_options` go to `uvicorn.Config` (e.g. `log_config=None`)."""
    # Open event streams and sockets would hold a graceful shutdown for ever.
    options = {"log_level": "warning", "ws": "websockets-sansio", "timeout_graceful_shutdown": 5,
               **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=configured.port,
                                           lifespan="on", **options))
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
    url = f"http://127.0.0.1:{configured.port}"
    assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
    try:
        yield LiveApp(url=url, app=app, settings=configured, loop=loops[0])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
