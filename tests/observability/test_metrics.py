"""`/metrics` after real traffic: a signed Twilio webhook queues a message, the in-process
worker runs the turn through the LLM, and every family moves by exactly what happened."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import httpx
from sqlalchemy import select

from channels.twilio import outbox_state
from core.conversations.models import Channel, OutboxMessage, OutboxStatus
from core.db.session import unit_of_work
from lendline.services import Services
from lendline.settings import Settings
from tests.channels.conftest import LiveApp
from tests.channels.twilio_inbound.conftest import form, inbound, job_done, post
from tests.observability.conftest import AUTHORISED, get, scrape, value

NUMBERS = itertools.count(1)
WEBHOOK = {"endpoint": "/channels/twilio/messaging", "status": "200"}
LLM_INPUT = {"model": "gpt-4o-mini", "kind": "input"}
LLM_OUTPUT = {"model": "gpt-4o-mini", "kind": "output"}
FAMILIES = {
    "lendline_turn_duration_seconds", "lendline_webhook_ack_seconds",
    "lendline_outbox_messages", "lendline_outbox_oldest_pending_seconds",
    "lendline_outbox_delivery_failures", "lendline_escalations_waiting",
    "lendline_escalations_oldest_wait_seconds", "lendline_jobs_waiting",
    "lendline_job_lag_seconds", "lendline_job_workers", "lendline_llm_tokens",
    "lendline_llm_cost_usd", "lendline_state_up", "lendline_state_query_seconds",
    "process_cpu_seconds", "python_gc_objects_collected",
}


def sender() -> str:
    return f"+1868555{7000 + next(NUMBERS):04d}"


def message(live: LiveApp, address: str, body: str) -> int:
    """Send `body` as a signed SMS webhook, wait for its turn; the conversation's id."""
    params = form(address, body)
    response = post(live, params)
    assert response.status_code == 200, response.text
    assert job_done(live, params["MessageSid"]) == "succeeded"
    [row] = inbound(live, params["MessageSid"])
    return int(row.conversation_id)


def test_a_turn_moves_the_turn_webhook_llm_and_outbox_families(observed: LiveApp) -> None:
    _, before = scrape(observed)
    message(observed, sender(), "Hello there")
    families, after = scrape(observed)
    assert families >= FAMILIES

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("lendline_turn_duration_seconds_count", channel="sms", outcome="answered") == 1
    assert moved("lendline_turn_duration_seconds_sum", channel="sms", outcome="answered") > 0
    assert moved("lendline_webhook_ack_seconds_count", **WEBHOOK) == 1
    assert value(after, "lendline_webhook_ack_seconds_bucket", le="+Inf", **WEBHOOK) == value(
        after, "lendline_webhook_ack_seconds_count", **WEBHOOK)
    # the fake LLM reports 50 prompt and 10 completion tokens for the understanding call
    assert moved("lendline_llm_tokens_total", **LLM_INPUT) == 50
    assert moved("lendline_llm_tokens_total", **LLM_OUTPUT) == 10
    cost = Decimal(50) * Decimal("0.15") / 1_000_000 + Decimal(10) * Decimal("0.60") / 1_000_000
    assert cost == Decimal("0.0000135")
    spent = moved("lendline_llm_cost_usd_total", **LLM_INPUT) + moved(
        "lendline_llm_cost_usd_total", **LLM_OUTPUT)
    assert abs(spent - float(cost)) < 1e-12
    # no Twilio sender is configured, so the reply waits in the outbox
    assert value(after, "lendline_outbox_messages", channel="sms", status="pending") >= 1
    assert value(after, "lendline_outbox_oldest_pending_seconds", channel="sms") >= 0
    assert value(after, "lendline_state_up") == 1
    assert value(after, "lendline_job_workers") >= 1
    for queue in ("messaging", "outbox", "default"):
        assert ("lendline_job_lag_seconds", (("queue", queue),)) in after


def test_an_escalation_is_timed_and_waits_in_the_gauge(observed: LiveApp) -> None:
    _, before = scrape(observed)
    message(observed, sender(), "Can I talk to a person please?")
    _, after = scrape(observed)
    escalated = {"channel": "sms", "outcome": "escalated"}
    assert value(after, "lendline_turn_duration_seconds_count", **escalated) - value(
        before, "lendline_turn_duration_seconds_count", **escalated) == 1
    assert value(after, "lendline_escalations_waiting") == value(
        before, "lendline_escalations_waiting") + 1
    assert value(after, "lendline_escalations_oldest_wait_seconds") >= 0


def test_a_failed_delivery_is_counted_and_shows_in_the_backlog(observed: LiveApp) -> None:
    address = sender()
    message(observed, address, "Hi")
    _, before = scrape(observed)

    async def fail_the_reply() -> None:
        async with unit_of_work(observed.app.state.session_factory) as session:
            row = await session.scalar(select(OutboxMessage).where(
                OutboxMessage.address == address, OutboxMessage.channel == Channel.SMS,
                OutboxMessage.status == OutboxStatus.PENDING).limit(1))
            assert row is not None
            await outbox_state.fail(session, row, reason="Twilio refused it: unreachable",
                                    code=30003, now=dt.datetime.now(dt.UTC))

    observed.run(fail_the_reply())
    _, after = scrape(observed)
    sms = {"channel": "sms"}
    assert value(after, "lendline_outbox_delivery_failures_total", **sms) == value(
        before, "lendline_outbox_delivery_failures_total", **sms) + 1
    failed = {"channel": "sms", "status": "failed"}
    assert value(after, "lendline_outbox_messages", **failed) == value(
        before, "lendline_outbox_messages", **failed) + 1


def test_metrics_need_the_token_when_one_is_set(observed: LiveApp) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        refused = httpx.get(f"{observed.url}/metrics", headers=headers, timeout=30)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "lendline_" not in refused.text
    allowed = httpx.get(f"{observed.url}/metrics", headers=AUTHORISED, timeout=30)
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith("text/plain; version=")


async def test_without_a_token_metrics_are_open_in_development_and_off_in_production(
        settings: Settings, services: Services) -> None:
    development = await get(settings, services, "/metrics")
    assert development.status_code == 200
    assert "lendline_state_up 1.0" in development.text
    production = await get(settings.model_copy(update={"environment": "production"}),
                           services, "/metrics")
    assert production.status_code == 403
    assert production.json() == {
        "detail": "Metrics are off in production until LENDLINE_METRICS_TOKEN is set."}


async def test_a_database_that_does_not_answer_leaves_the_state_gauges_out(
        settings: Settings, services: Services) -> None:
    import dataclasses

    from core.db.session import make_engine
    from tests.channels.conftest import free_port

    engine = make_engine(f"postgresql://lendline@127.0.0.1:{free_port()}/lendline")
    try:
        response = await get(settings, dataclasses.replace(services, engine=engine), "/metrics")
    finally:
        await engine.dispose()
    assert response.status_code == 200
    assert "lendline_state_up 0.0" in response.text
    assert "lendline_outbox_messages{" not in response.text
    assert "lendline_turn_duration_seconds" in response.text
