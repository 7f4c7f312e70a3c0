"""Redis stopped under the live app: every channel goes on without it (no rate limit, no
nudges, duplicates dropped by the database alone), nothing acknowledged is lost, and once
Redis is back the app uses it again by itself."""

from __future__ import annotations

import asyncio

import httpx
import redis

from channels.twilio.messaging import EMPTY_TWIML, SEEN
from tests.channels.conftest import LiveApp
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_inbound.conftest import form, inbound, job_done, number
from tests.channels.web.conftest import chat, replies
from tests.faults.conftest import (
    deliver,
    deliver_at_once,
    escalated,
    jobs_answered_once,
    outbox,
    sent_once,
    wait_for,
)
from tests.faults.servers import Redis

GREETING = "Hi! I'm the Island Credit Union (demo) assistant."


async def web_chat_turn(app: LiveApp) -> list[str]:
    async with chat(app) as page:
        frames = await page.say("hello")
        assert frames[-1]["type"] == "ack", frames
        return replies(frames)


def test_without_redis_messages_are_taken_once_and_answered_when_it_returns(
        fault_app: LiveApp, fault_redis: Redis, twilio: FakeTwilio, api_token: str) -> None:
    sender, borrower = number(701), number(702)
    params = form(sender, "hello")
    escalation = escalated(fault_app, borrower)
    api = httpx.Client(base_url=f"{fault_app.url}/api/v1/escalations/{escalation}",
                       headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
    fault_redis.stop()
    try:
        for response in deliver_at_once(fault_app, params):
            assert (response.status_code, response.text) == (200, EMPTY_TWIML)
        assert job_done(fault_app, params["MessageSid"]) == "succeeded"
        jobs_answered_once(fault_app, params["MessageSid"])  # a lost nudge is no failure
        assert len(inbound(fault_app, params["MessageSid"])) == 1
        [queued] = outbox(fault_app, sender)
        assert queued.body.startswith(GREETING)

        [said] = asyncio.run(web_chat_turn(fault_app))
        assert said.startswith(GREETING)

        assert api.post("/claim").status_code == 200
        answered = api.post("/reply", json={"body": "Hello, Fay here."})
        assert answered.status_code == 202, answered.text
    finally:
        fault_redis.start()

    [reply] = sent_once(fault_app, twilio, sender)
    assert reply["Body"].startswith(GREETING)
    [staff] = sent_once(fault_app, twilio, borrower)
    assert staff["Body"] == "Hello, Fay here."

    later = form(number(703), "hello again")
    assert deliver(fault_app.url, later).status_code == 200
    with redis.Redis.from_url(fault_redis.url()) as client:
        assert client.exists(f"{SEEN}{later['MessageSid']}") == 1
    wait_for(lambda: twilio.to(later["From"]), what="the answer once Redis is back")
