"""The running services every entry point shares: database, Redis, the job queue.

`start_services(settings)` brings up the embedded servers when no external URL is set,
applies migrations and returns a `Services` bundle; `Services.close()` releases it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import procrastinate
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent import checkpoint
from core.crypto import FieldCipher
from core.db.migrate import upgrade
from core.db.session import CONNECT_TIMEOUT, make_engine, make_session_factory, unit_of_work
from core.loans.repayment import apply_provider_payment
from knowledge.embedding import embedder_from_settings
from knowledge.ingest import BUNDLED, content_folder, ingest_folder
from lendline import demo, jobs
from lendline.embedded import DATABASE, EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings

log = logging.getLogger(__name__)

# How long queuing a job waits for a connection (the pool's default is 30 s): while the
# database is down, a webhook gets its 503 well within Twilio's 15 s.
QUEUE_WAIT_SECONDS = 5.0
# The job queue's pool retries a lost server with doubling delays for up to 5 minutes, so
# after an outage it could wait long minutes before its next try. Giving up after a few
# seconds makes it connect again at the next request instead.
QUEUE_RECONNECT_SECONDS = 5.0


@dataclass
class Services:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    queue: procrastinate.App
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _embedded: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        await self._stack.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def database_url(settings: Settings, embedded: list[Any]) -> str:
    if settings.database_url:
        return settings.database_url
    server = EmbeddedPostgres(settings.data_dir / "pg")
    server.create_database(DATABASE)
    embedded.append(server)
    return server.url(DATABASE)


def redis_url(settings: Settings, embedded: list[Any]) -> str:
    if settings.redis_url:
        return settings.redis_url
    server = EmbeddedRedis(settings.data_dir / "redis")
    embedded.append(server)
    return server.url()


def plain_url(url: str) -> str:
    """`url` as libpq (psycopg, procrastinate) spells it, without SQLAlchemy's driver name."""
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextlib.asynccontextmanager
async def open_queue(url: str) -> AsyncIterator[procrastinate.App]:
    """The process's procrastinate app, connected to `url` for the duration of the block."""
    connector = procrastinate.PsycopgConnector(
        conninfo=plain_url(url), timeout=QUEUE_WAIT_SECONDS,
        reconnect_timeout=QUEUE_RECONNECT_SECONDS, kwargs={"connect_timeout": CONNECT_TIMEOUT})
    with jobs.app.replace_connector(connector) as queue:
        async with queue.open_async():
            yield queue


async def start_services(settings: Settings, *, migrate: bool | None = None) -> Services:
    """Start (or connect to) PostgreSQL, Redis and the job queue; apply migrations when
    `migrate` says so, by default when `settings.migrate_on_start` does."""
    embedded: list[Any] = []
    db_url = await asyncio.to_thread(database_url, settings, embedded)
    if settings.migrate_on_start if migrate is None else migrate:
        await asyncio.to_thread(functools.partial(upgrade, db_url,
                                                  field_keys=settings.field_keys()))
        await checkpoint.setup(plain_url(db_url))
    r_url = await asyncio.to_thread(redis_url, settings, embedded)
    engine = make_engine(db_url)
    stack = contextlib.AsyncExitStack()
    queue = await stack.enter_async_context(open_queue(db_url))
    services = Services(
        settings=settings,
        database_url=db_url,
        engine=engine,
        session_factory=make_session_factory(engine),
        redis=Redis.from_url(r_url, socket_connect_timeout=CONNECT_TIMEOUT),
        queue=queue,
        _stack=stack,
        _embedded=embedded,
    )
    jobs.bind(services.session_factory)
    jobs.set_payment_applier(functools.partial(apply_provider_payment, time_zone=settings.timezone))
    return services


async def seed_demo_data(services: Services, *, cipher: FieldCipher, today: dt.date) -> bool:
    """Seed the demo lender on the first start of an empty database and sync the bundled
    knowledge content; returns whether it seeded."""
    settings = services.settings
    async with unit_of_work(services.session_factory) as session:
        seeded = await demo.seed_if_empty(
            session, cipher=cipher, secret=settings.resolved_secret_key(),
            lender_name=settings.lender_name, today=today,
        )
    await sync_bundled_knowledge(services)
    return seeded


async def sync_bundled_knowledge(services: Services) -> None:
    """Bring the knowledge base in line with the content shipped in `knowledge/content`
    (incremental: unchanged files are skipped)."""
    async with unit_of_work(services.session_factory) as session:
        report = await ingest_folder(
            session, content_folder(), embedder=embedder_from_settings(services.settings),
            collection=BUNDLED,
        )
    log.info("Knowledge base: %s", report.summary())
    for error in report.errors:
        log.warning("Knowledge base: %s", error.message)
