"""A `lendline worker` has no app to scrape: with LENDLINE_METRICS_PORT it serves its own
process's metrics (token and all) and /healthz from a thread beside the job loop."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from lendline.observability.routes import start_worker_metrics
from lendline.settings import Settings
from tests.channels.conftest import free_port

TOKEN = "worker-metrics-token-0123"


@pytest.fixture
def worker_port(settings: Settings) -> Iterator[int]:
    port = free_port()
    server = start_worker_metrics(settings.model_copy(
        update={"metrics_token": SecretStr(TOKEN)}), port)
    yield port
    server.shutdown()
    server.server_close()


def test_the_worker_serves_its_metrics_behind_the_token(worker_port: int) -> None:
    base = f"http://127.0.0.1:{worker_port}"
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    refused = httpx.get(f"{base}/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    scraped = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE lendline_turn_duration_seconds histogram" in scraped.text
    assert "lendline_outbox_delivery_failures_total{channel=\"sms\"}" in scraped.text
    assert "lendline_state_up" not in scraped.text, "the database gauges are the app's"
    assert httpx.get(f"{base}/other").status_code == 404
