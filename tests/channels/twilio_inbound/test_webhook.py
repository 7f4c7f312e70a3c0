"""The messaging webhook over a real socket: signed, checked, acknowledged at once with empty
TwiML, answered by the agent in the worker, each message once; refused input writes nothing."""

from __future__ import annotations

import asyncio
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from channels.twilio.messaging import EMPTY_TWIML
from tests.channels.conftest import LiveApp
from tests.channels.twilio_inbound.conftest import (
    PATH,
    form,
    inbound,
    job_done,
    jobs_for,
    number,
    post,
    replies,
    rows,
    signature,
    wait_until,
)

SENDERS = itertools.count(20)


def _acknowledged(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("text/xml")


def _nothing_written(live: LiveApp, sid: str, sender: str) -> None:
    assert jobs_for(live, sid) == 0
    assert rows(live, "SELECT id FROM conversations WHERE address = :a", a=sender) == []


def test_an_unknown_number_is_acknowledged_then_answered_by_the_agent(
        twilio_app: LiveApp) -> None:
    sender = number(1)
    nudges = redis.Redis.from_url(twilio_app.settings.redis_url or "").pubsub()
    nudges.psubscribe("outbox:*")
    params = form(sender, "Hi, what loans do you offer?")
    _acknowledged(post(twilio_app, params))
    assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
    [message] = inbound(twilio_app, params["MessageSid"])
    assert (message.channel, message.address, message.customer_id) == ("sms", sender, None)
    assert message.body == "Hi, what loans do you offer?"
    answers = replies(twilio_app, sender)
    assert answers and all(answer.purpose == "reply" for answer in answers)
    nudged = wait_until(lambda: nudges.get_message(timeout=0.1))
    while nudged["type"] != "pmessage":
        nudged = nudges.get_message(timeout=5)
    assert nudged["channel"] == f"outbox:{message.conversation_id}".encode()
    nudges.close()


def test_a_customer_on_whatsapp_is_recognised_by_the_bare_number(twilio_app: LiveApp) -> None:
    params = form("whatsapp:+18685550102", "what's my balance", ProfileName="Brian",
                  WaId="18685550102")
    _acknowledged(post(twilio_app, params))
    job_done(twilio_app, params["MessageSid"])
    [message] = inbound(twilio_app, params["MessageSid"])
    assert (message.channel, message.address) == ("whatsapp", "+18685550102")
    assert message.customer_id is not None
    assert message.meta == {"profile_name": "Brian", "wa_id": "18685550102"}
    assert replies(twilio_app, "+18685550102", "whatsapp")


@pytest.mark.parametrize("how", ["missing", "wrong token", "local url", "tampered"])
def test_a_forged_or_unsigned_webhook_gets_403_is_audited_and_changes_nothing(
        twilio_app: LiveApp, how: str) -> None:
    from twilio.request_validator import RequestValidator

    sender = number(10 + ["missing", "wrong token", "local url", "tampered"].index(how))
    params = form(sender, "send me money")
    signed = {
        "missing": "",
        "wrong token": RequestValidator("not-our-token").compute_signature(
            "https://lendline.example.com" + PATH, params),
        "local url": signature(params, f"{twilio_app.url}{PATH}"),
        "tampered": signature({**params, "Body": "hello"}),
    }[how]
    response = post(twilio_app, params, signed=signed)
    assert response.status_code == 403
    assert response.json() == {"detail": "The request's Twilio signature is not valid."}
    time.sleep(0.3)  # a wrongly queued job would have been written by now
    _nothing_written(twilio_app, params["MessageSid"], sender)
    [audited] = rows(twilio_app, "SELECT after FROM audit_events WHERE action = "
                                 "'webhook.refused' AND after->>'sid' = :sid",
                     sid=params["MessageSid"])
    reason = "missing signature" if how == "missing" else "bad signature"
    assert {key: audited.after[key] for key in ("reason", "from", "sid")} == {
        "reason": reason, "from": sender, "sid": params["MessageSid"]}


@pytest.mark.parametrize(("fields", "detail"), [
    ({"Body": "x" * 1_601}, "Body is 1,601 characters; a message can be at most 1,600."),
    ({"Body": "null\x00byte"}, "Body contains the control character U+0000 at position 5; "
                               "only text, tabs and line breaks are accepted."),
    ({"Body": ""}, "The message has no text and no media."),
    ({"MessageSid": "SM1"}, "MessageSid 'SM1' is not a Twilio message SID."),
    ({"NumMedia": "1"}, "NumMedia is 1 but MediaUrl0 is missing."),
])
def test_a_malformed_webhook_gets_400_with_the_reason_and_writes_nothing(
        twilio_app: LiveApp, fields: dict[str, str], detail: str) -> None:
    sender = number(next(SENDERS))
    params = form(sender, **fields)
    response = post(twilio_app, params)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    time.sleep(0.3)
    _nothing_written(twilio_app, params["MessageSid"], sender)


def test_a_sender_that_is_not_a_phone_number_gets_400(twilio_app: LiveApp) -> None:
    params = form("whatsapp:nobody")
    response = post(twilio_app, params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("From 'whatsapp:nobody' is not a phone number")
    assert jobs_for(twilio_app, params["MessageSid"]) == 0


def test_a_repeated_message_sid_is_acknowledged_and_dropped(twilio_app: LiveApp) -> None:
    sender = number(80)
    params = form(sender, "what loans do you have?")
    with ThreadPoolExecutor(4) as pool:
        for response in pool.map(lambda _: post(twilio_app, params), range(4)):
            _acknowledged(response)
    job_done(twilio_app, params["MessageSid"])
    answered = replies(twilio_app, sender)
    assert answered
    _acknowledged(post(twilio_app, params))  # Twilio retrying long after
    assert jobs_for(twilio_app, params["MessageSid"]) == 1
    # Even once Redis has forgotten the SID, the transcript's unique id drops the repeat.
    twilio_app.run(twilio_app.app.state.services.redis.delete(
        f"twilio:seen:{params['MessageSid']}"))
    _acknowledged(post(twilio_app, params))
    assert jobs_for(twilio_app, params["MessageSid"]) == 2
    assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
    assert len(inbound(twilio_app, params["MessageSid"])) == 1
    assert replies(twilio_app, sender) == answered


def _patched_converse(live: LiveApp, wrapper: Any) -> Any:
    agent = live.app.state.agent
    original = agent.converse
    agent.converse = wrapper(original)
    return lambda: setattr(agent, "converse", original)


def test_the_acknowledgement_does_not_wait_for_a_slow_agent(twilio_app: LiveApp) -> None:
    def slow(original: Any) -> Any:
        async def converse(message: Any, **options: Any) -> Any:
            await asyncio.sleep(2)
            return await original(message, **options)
        return converse

    restore = _patched_converse(twilio_app, slow)
    try:
        sender = number(81)
        params = form(sender, "hello there")
        started = time.monotonic()
        _acknowledged(post(twilio_app, params))
        assert time.monotonic() - started < 1
        assert replies(twilio_app, sender) == []
        assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
        assert replies(twilio_app, sender)
    finally:
        restore()


def test_a_failed_turn_is_retried_and_the_message_answered_once(twilio_app: LiveApp) -> None:
    failures = [RuntimeError("the database went away")]

    def flaky(original: Any) -> Any:
        async def converse(message: Any, **options: Any) -> Any:
            if failures:
                raise failures.pop()
            return await original(message, **options)
        return converse

    restore = _patched_converse(twilio_app, flaky)
    try:
        sender = number(82)
        params = form(sender, "hello again")
        _acknowledged(post(twilio_app, params))
        assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
        [job] = rows(twilio_app, "SELECT attempts FROM procrastinate_jobs WHERE "
                                 "args->'message'->>'sid' = :sid", sid=params["MessageSid"])
        assert job.attempts == 2
        assert len(inbound(twilio_app, params["MessageSid"])) == 1
        assert replies(twilio_app, sender)
    finally:
        restore()
