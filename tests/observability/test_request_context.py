"""Every request has an id (the proxy's X-Request-ID when it is sane, else a new one), echoed
in the response and carried by every log line written for it; a turn's lines carry the
conversation and channel; webhooks are counted by route and status."""

from __future__ import annotations

import re

import httpx
import pytest

from core.telemetry import metrics
from lendline.services import Services
from lendline.settings import Settings
from tests.channels.conftest import LiveApp
from tests.channels.twilio_inbound.conftest import (
    PATH,
    form,
    inbound,
    job_done,
    signature,
)
from tests.observability.conftest import Captured

ADDRESS = "+18685558801"


def test_a_webhook_and_its_turn_are_logged_with_request_and_conversation(
        observed: LiveApp, captured: Captured) -> None:
    params = form(ADDRESS, "Good morning")
    response = httpx.post(f"{observed.url}{PATH}", data=params, timeout=30, headers={
        "X-Twilio-Signature": signature(params), "X-Request-ID": "lb-2f6c1d9e-0001"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "lb-2f6c1d9e-0001"
    assert job_done(observed, params["MessageSid"]) == "succeeded"
    [row] = inbound(observed, params["MessageSid"])
    lines = captured.lines()
    access = [line for line in lines if line["logger"] == "uvicorn.access"
              and f"POST {PATH} HTTP/1.1\" 200" in line["message"]]
    assert [line["request_id"] for line in access].count("lb-2f6c1d9e-0001") == 1
    turn = [line for line in lines if line.get("conversation_id") == row.conversation_id]
    assert turn, "the job's lines name the conversation"
    assert all(line["channel"] == "sms" for line in turn)
    assert any(line["logger"].startswith("procrastinate") for line in turn)
    assert "18685558801" not in captured.text(), "the sender's number is masked everywhere"
    assert "Good morning" not in captured.text(), "nor is what they wrote logged"
    assert any("handle_message[" in line["message"] and "](…)" in line["message"]
               for line in turn)


@pytest.mark.parametrize(("sent", "kept"), [
    (None, False), ("short", False), ("has spaces in it", False), ("x" * 129, False),
    ("4bf92f3577b34da6a3ce929d0e0e4736", True), ("lb.node-7:req_00012", True),
])
def test_a_sane_request_id_is_kept_and_any_other_replaced(
        observed: LiveApp, captured: Captured, sent: str | None, kept: bool) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    response = httpx.get(f"{observed.url}/healthz", headers=headers, timeout=30)
    echoed = response.headers["x-request-id"]
    if kept:
        assert echoed == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert any(line.get("request_id") == echoed and "GET /healthz" in line["message"]
               for line in captured.lines())


async def test_a_refused_webhook_is_counted_and_its_warning_carries_the_request(
        settings: Settings, services: Services, captured: Captured) -> None:
    from lendline.app import create_app

    app = create_app(settings)
    app.state.services, app.state.session_factory = services, services.session_factory
    labels = {"endpoint": "/channels/twilio/messaging", "status": "403"}
    counted, took = _sample("_count", labels), _sample("_sum", labels)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(PATH, data=form("+18685558802", "hi"),
                                     headers={"X-Request-ID": "forged-0000001"})
    assert response.status_code == 403
    assert _sample("_count", labels) == counted + 1
    assert _sample("_sum", labels) > took
    [warning] = [line for line in captured.lines() if line.get("request_id") == "forged-0000001"]
    assert warning["level"] == "WARNING"
    assert warning["message"].startswith("Refused a Twilio webhook to ")


def _sample(suffix: str, labels: dict[str, str]) -> float:
    name = f"lendline_webhook_ack_seconds{suffix}"
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0
