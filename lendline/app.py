"""The app factory: one FastAPI application hosting the API, channels and console."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from admin import console
from admin import errors as admin_errors
from admin.api import routers
from channels import live
from channels.routers import routers as channel_routers
from channels.twilio import delivery_jobs as twilio_delivery
from channels.twilio import inbound_jobs as twilio_inbound
from lendline import api_docs, demo, outages, payments
from lendline.assistant import build_agent, chat_model
from lendline.observability import routes as observability
from lendline.services import Services, seed_demo_data, start_services
from lendline.settings import Settings
from lendline.worker import run_worker

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the application. Pass `services` to reuse already started ones (tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        running = services or await start_services(settings)
        if owned and settings.seed_demo_data:
            today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
            if await seed_demo_data(running, cipher=app.state.field_cipher, today=today):
                log.info("Seeded the demo lender; staff sign in at %s/console as %s / %s "
                         "(one demo user per role, same password: see README)",
                         settings.base_url, demo.STAFF[0][0], demo.DEMO_PASSWORD)
        app.state.services = running
        app.state.session_factory = running.session_factory
        app.state.agent = build_agent(settings, running, cipher=app.state.field_cipher)
        app.state.outbox_nudge = lambda conversation: live.publish(running.redis, conversation)
        twilio_inbound.bind(app.state.agent, running.redis, settings)
        app.state.outbox = await twilio_delivery.serve(
            settings, session_factory=running.session_factory, redis=running.redis)
        worker: asyncio.Task[None] | None = None
        if owned and settings.run_worker:
            worker = asyncio.create_task(
                run_worker(running.queue, concurrency=settings.worker_concurrency))
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await app.state.outbox.close()
            if owned:
                await running.close()

    app = FastAPI(
        title="Lendline",
        version="0.1.0",
        description="Staff and public API of the Lendline conversational lending agent.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api_docs.install(app)
    app.state.settings = settings
    app.state.field_cipher = settings.field_cipher()
    app.state.reply_model = chat_model(settings) if settings.llm_enabled else None
    admin_errors.install(app)
    outages.install(app)
    console.install(app)
    payments.install(app, settings)
    observability.install(app, settings)
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    for router in channel_routers:
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
