"""The running services every entry point shares: database, Redis, the job queue.

`start_services(settings)` brings up the embedded servers when no external URL is set,
applies migrations and returns a `Services` bundle; `Services.close()` releases it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import procrastinate
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db.migrate import upgrade
from core.db.session import make_engine, make_session_factory
from lendline import jobs
from lendline.embedded import DATABASE, EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    queue: procrastinate.App
    _embedded: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        await self.queue.close_async()
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


def make_queue(url: str) -> procrastinate.App:
    """The procrastinate app on the application's own PostgreSQL."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    queue.add_tasks_from(jobs.blueprint, namespace="lendline")
    return queue


async def start_services(settings: Settings, *, migrate: bool = True) -> Services:
    embedded: list[Any] = []
    db_url = await asyncio.to_thread(database_url, settings, embedded)
    if migrate:
        await asyncio.to_thread(upgrade, db_url)
    r_url = await asyncio.to_thread(redis_url, settings, embedded)
    engine = make_engine(db_url)
    queue = make_queue(db_url)
    await queue.open_async()
    services = Services(
        settings=settings,
        database_url=db_url,
        engine=engine,
        session_factory=make_session_factory(engine),
        redis=Redis.from_url(r_url),
        queue=queue,
        _embedded=embedded,
    )
    jobs.bind(services.session_factory)
    return services
