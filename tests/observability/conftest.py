"""The observed app: `create_app` under uvicorn as `lendline serve` runs it (uvicorn's own
logging off, so its access log goes through our handler), with the in-process worker, a
fake OpenAI-compatible LLM, Twilio webhook signing and a metrics token; every log record
of the package captured as JSON lines.

Readiness and metrics refusals are also checked over ASGI against `services` built on the
test's own loop, with one dependency swapped for a broken one at a time.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from lendline.app import create_app
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.observability.logs import UVICORN, make_handler
from lendline.services import Services, start_services
from lendline.settings import Settings
from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, free_port, serving
from tests.channels.twilio_inbound.conftest import PUBLIC

METRICS_TOKEN = "metrics-token-for-tests-0123456789"
AUTHORISED = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def understood(text: str) -> dict[str, Any]:
    """The fake LLM's reading: asking for a person is `human`, anything else a greeting."""
    intent = "human" if "person" in text.lower() else "greet"
    return {"intent": intent, "slots": {}, "confidence": 0.95}


@pytest.fixture(scope="package")
def fake_llm() -> Iterator[Running]:
    with Running(FakeOpenAI(understood, lambda messages: "We lend money.")) as running:
        yield running


class Captured:
    """The JSON lines written so far by the package's log handler."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.lock = threading.RLock()

    def lines(self) -> list[dict[str, Any]]:
        with self.lock:
            text = self.stream.getvalue()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture(scope="package")
def captured() -> Iterator[Captured]:
    capture = Captured()
    handler = make_handler("json", capture.stream)
    handler.lock = capture.lock  # type: ignore[assignment]  # readers and writers share it
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield capture
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="package")
def observed(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
             fake_llm: Running, captured: Captured) -> Iterator[LiveApp]:
    port = free_port()
    configured = settings.model_copy(update={
        "database_url": postgres.migrated_database("lendline_observability"),
        "redis_url": embedded_redis.url(), "seed_demo_data": False, "run_worker": True,
        "port": port, "public_url": PUBLIC, "twilio_account_sid": TWILIO_SID,
        "twilio_auth_token": SecretStr(TWILIO_TOKEN),
        "twilio_api_url": f"http://127.0.0.1:{free_port()}",  # never called: no sender set
        "openai_base_url": fake_llm.base_url, "metrics_token": SecretStr(METRICS_TOKEN),
    })
    app = create_app(configured)
    for name in UVICORN:  # as configure_logging leaves them, whatever ran before
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    with serving(app, configured, log_config=None, log_level="info") as live:
        yield live


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(live: LiveApp) -> tuple[set[str], Samples]:
    """The families and samples `/metrics` exposes now."""
    response = httpx.get(f"{live.url}/metrics", headers=AUTHORISED, timeout=30)
    assert response.status_code == 200, response.text
    families, samples = set(), {}
    for family in text_string_to_metric_families(response.text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return families, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled series not exposed yet."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def services(settings: Settings, postgres: EmbeddedPostgres,
                   embedded_redis: EmbeddedRedis) -> AsyncIterator[Services]:
    """Database, Redis and job queue on this test's loop, with no worker running."""
    running = await start_services(settings.model_copy(update={
        "database_url": postgres.migrated_database("lendline_observability_ready"),
        "redis_url": embedded_redis.url()}), migrate=False)
    yield running
    await running.close()


async def get(settings: Settings, services: Services, path: str,
              **headers: str) -> httpx.Response:
    """GET `path` from an app whose services are `services` (no lifespan runs)."""
    app = create_app(settings)
    app.state.services = services
    app.state.session_factory = services.session_factory
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)
