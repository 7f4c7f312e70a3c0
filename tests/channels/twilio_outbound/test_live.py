"""The sender inside the running app: a nudge sends at once, Twilio's signed status callbacks
move the reply forward and never back, and the periodic sweep is a registered job."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr

from channels import live
from channels.twilio import delivery_jobs
from core.conversations.models import Channel, OutboxMessage, OutboxStatus
from lendline import jobs
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_outbound.conftest import (
    SMS_FROM,
    TEMPLATES,
    WHATSAPP_FROM,
    number,
    queue,
    rows,
)

T = TypeVar("T")


@pytest.fixture(scope="module")
def outbound_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
                 fake_twilio: FakeTwilio) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="lendline_twilio_live",
                  twilio_account_sid=TWILIO_SID, twilio_auth_token=SecretStr(TWILIO_TOKEN),
                  twilio_api_url=fake_twilio.url, twilio_sms_from=SMS_FROM,
                  twilio_whatsapp_from=WHATSAPP_FROM, whatsapp_templates=TEMPLATES) as app:
        assert app.run(app.app.state.outbox.listening.wait()) is True
        yield app


def wait_for(check: Callable[[], T | None], seconds: float = 10) -> T:
    deadline = time.monotonic() + seconds
    while (value := check()) is None or value == []:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def row_of(app: LiveApp, conversation: int) -> OutboxMessage:
    [row] = app.run(rows(app.app.state.session_factory, conversation))
    return row


def send_one(app: LiveApp, twilio: FakeTwilio) -> tuple[dict[str, Any], int]:
    """Queue one SMS reply in the app's database and nudge; the message Twilio got for it,
    once the app has recorded it sent."""
    address = number()
    conversation = app.run(queue(app.app.state.session_factory, channel=Channel.SMS,
                                 address=address, bodies=["Hello."], now=dt.datetime.now(dt.UTC)))
    app.run(live.publish(app.app.state.services.redis, conversation))
    [message] = wait_for(lambda: twilio.to(address))
    wait_for(lambda: row_of(app, conversation).status is OutboxStatus.SENT or None)
    return message, conversation


def test_a_nudge_sends_the_reply_at_once(outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    message, conversation = send_one(outbound_app, twilio)
    assert message["Body"] == "Hello." and message["From"] == SMS_FROM
    assert message["StatusCallback"].startswith(f"{outbound_app.url}/channels/twilio/status?")
    assert row_of(outbound_app, conversation).provider_message_id == message["sid"]


def test_status_callbacks_move_a_reply_forward_and_never_back(
        outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    message, conversation = send_one(outbound_app, twilio)
    seen = []
    for status in ("queued", "sent", "delivered", "read", "delivered", "sent"):
        assert twilio.callback(message, status).status_code == 200
        seen.append(row_of(outbound_app, conversation).status)
    assert seen == [OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.DELIVERED,
                    OutboxStatus.READ, OutboxStatus.READ, OutboxStatus.READ]
    assert twilio.callback(message, "failed", error_code=30008).status_code == 200
    assert row_of(outbound_app, conversation).status is OutboxStatus.READ


def test_an_undelivered_reply_fails_with_the_reason(
        outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    message, conversation = send_one(outbound_app, twilio)
    assert twilio.callback(message, "sent").status_code == 200
    assert twilio.callback(message, "undelivered", error_code=30003).status_code == 200
    assert twilio.callback(message, "delivered").status_code == 200
    row = row_of(outbound_app, conversation)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, 30003)
    assert row.last_error == ("Not delivered: the phone was unreachable (off or out of "
                              "coverage) (Twilio error 30003)")


def test_a_callback_about_no_message_of_ours_is_acknowledged_and_ignored(
        outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    message, conversation = send_one(outbound_app, twilio)
    stranger = {**message, "sid": "SM" + uuid.uuid4().hex}
    assert twilio.callback(stranger, "delivered").status_code == 200
    bare = {**stranger, "StatusCallback": f"{outbound_app.url}/channels/twilio/status"}
    assert twilio.callback(bare, "delivered").status_code == 200
    assert row_of(outbound_app, conversation).status is OutboxStatus.SENT


def test_a_forged_callback_is_refused_and_changes_nothing(
        outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    message, conversation = send_one(outbound_app, twilio)
    # Posted to the bare URL: signed with our token, the row would be found by its sid.
    bare = {**message, "StatusCallback": f"{outbound_app.url}/channels/twilio/status"}
    response = twilio.callback(bare, "failed", error_code=30003, token="not-our-token")
    assert response.status_code == 403
    row = row_of(outbound_app, conversation)
    assert (row.status, row.last_error) == (OutboxStatus.SENT, None)
    assert twilio.callback(bare, "failed", error_code=30003).status_code == 200
    assert row_of(outbound_app, conversation).status is OutboxStatus.FAILED, "found by its sid"


def test_the_sweep_is_a_periodic_job_using_the_apps_sender(
        outbound_app: LiveApp, twilio: FakeTwilio) -> None:
    assert "outbox:sweep" in jobs.app.tasks
    assert any(task.task.name == "outbox:sweep"
               for task in jobs.app.periodic_registry.periodic_tasks.values())
    address = number()
    conversation = outbound_app.run(queue(
        outbound_app.app.state.session_factory, channel=Channel.SMS, address=address,
        bodies=["Swept."], now=dt.datetime.now(dt.UTC)))
    # Not nudged: only a sweep sends it (this one, or the worker's own if a minute turns).
    result = outbound_app.run(delivery_jobs.sweep(timestamp=0))
    assert result.endswith("sent, 0 failed, 0 retrying")
    assert [message["Body"] for message in twilio.to(address)] == ["Swept."]
    assert row_of(outbound_app, conversation).status is OutboxStatus.SENT
