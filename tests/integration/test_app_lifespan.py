"""The app's own start-up and shut-down: migrations on a fresh database, the job queue,
the in-process worker, the payment applier and the agent, exactly as `lendline serve` runs
them."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from agent.conversation import Inbound
from lendline import jobs
from lendline.app import create_app
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings


async def test_serve_lifespan_migrates_starts_the_worker_and_shuts_down(
    settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis
) -> None:
    postgres.drop_database("lendline_lifespan")
    postgres.create_database("lendline_lifespan")
    app = create_app(settings.model_copy(update={
        "database_url": postgres.url("lendline_lifespan"),
        "redis_url": embedded_redis.url(),
        "run_worker": True,
        "seed_demo_data": False,
    }))
    async with app.router.lifespan_context(app):
        services = app.state.services
        async with services.session_factory() as session:
            head = await session.scalar(text("SELECT version_num FROM alembic_version"))
        assert head is not None
        assert jobs.payment_applier() is not None
        await asyncio.sleep(0.5)
        async with services.session_factory() as session:
            workers = await session.scalar(text("SELECT count(*) FROM procrastinate_workers"))
        assert workers == 1, "serve runs one in-process worker"
        greeted = await app.state.agent.converse(Inbound("web", "lifespan-check", "hello"))
        assert greeted.intent == "greet" and greeted.replies, "the agent is wired and answers"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
    async with services.session_factory.kw["bind"].connect() as connection:
        left = await connection.scalar(text("SELECT count(*) FROM procrastinate_workers"))
    assert left == 0, "the worker unregisters on shut-down"
    postgres.drop_database("lendline_lifespan")
