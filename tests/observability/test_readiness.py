"""`/readyz`: 200 with each check's answer when the database, Redis and the job queue
answer; 503 naming the check that failed and why when one does not, in time or at all."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from core.db.session import make_engine
from lendline.services import Services
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, free_port
from tests.observability.conftest import get


def test_the_running_app_is_ready_with_its_worker_beating(observed: LiveApp) -> None:
    response = httpx.get(f"{observed.url}/readyz", timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "ready"
    assert {name: check["status"] for name, check in answer["checks"].items()} == {
        "database": "ok", "redis": "ok", "queue": "ok"}
    queue = answer["checks"]["queue"]
    assert queue["workers"] >= 1
    assert 0 <= queue["last_heartbeat_seconds_ago"] < 30
    assert response.headers["cache-control"] == "no-store"


async def test_ready_without_a_worker_where_the_workers_run_elsewhere(
        settings: Settings, services: Services) -> None:
    response = await get(settings.model_copy(update={"run_worker": False}), services, "/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["queue"]["workers"] == 0


async def test_a_process_that_runs_the_worker_is_not_ready_without_a_heartbeat(
        settings: Settings, services: Services) -> None:
    response = await get(settings.model_copy(update={"run_worker": True}), services, "/readyz")
    assert response.status_code == 503
    queue = response.json()["checks"]["queue"]
    assert queue["status"] == "failed"
    assert queue["reason"] == "NotReady: no job worker has sent a heartbeat in the last 30 s"


async def test_redis_on_a_closed_port_fails_the_redis_check_only(
        settings: Settings, services: Services) -> None:
    broken = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        response = await get(settings, dataclasses.replace(services, redis=broken), "/readyz")
    finally:
        await broken.aclose()
    assert response.status_code == 503
    answer = response.json()
    assert answer["status"] == "not ready"
    checks = answer["checks"]
    assert checks["database"]["status"] == "ok" and checks["queue"]["status"] == "ok"
    assert checks["redis"]["status"] == "failed"
    assert checks["redis"]["reason"].startswith("ConnectionError: ")
    assert "Error 111 connecting to 127.0.0.1:" in checks["redis"]["reason"]


async def test_a_database_on_a_wrong_port_fails_the_database_check_without_its_password(
        settings: Settings, services: Services) -> None:
    engine = make_engine(f"postgresql://lendline:s3cret-pw@127.0.0.1:{free_port()}/lendline")
    try:
        response = await get(settings, dataclasses.replace(services, engine=engine), "/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["status"] == "failed"
    assert database["reason"].startswith("OperationalError: ")
    assert "s3cret-pw" not in response.text


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never answers."""
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_a_check_that_does_not_answer_in_time_fails_with_the_timeout(
        settings: Settings, services: Services, silent_port: int) -> None:
    silent = Redis.from_url(f"redis://127.0.0.1:{silent_port}/0")
    quick = settings.model_copy(update={"probe_timeout_seconds": 0.3})
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        response = await get(quick, dataclasses.replace(services, redis=silent), "/readyz")
    finally:
        await silent.aclose()
    assert loop.time() - started < 2
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"status": "failed",
                                                  "reason": "no answer within 0.3 s"}
