"""A flood from one sender gets one polite notice, not a reply each; every message is kept and
STOP still works; the limiter's mute lasts while the flood does."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from redis.asyncio import Redis

from channels.rate_limit import RateLimiter, Verdict
from channels.twilio.inbound_jobs import RATE_NOTICE
from tests.channels.conftest import LiveApp
from tests.channels.twilio_inbound.conftest import (
    LIMIT,
    form,
    inbound,
    job_done,
    number,
    post,
    replies,
)

ANSWER, NOTICE, QUIET = Verdict.ANSWER, Verdict.NOTICE, Verdict.QUIET


def test_a_flood_gets_one_notice_and_every_message_is_kept(twilio_app: LiveApp) -> None:
    sender = number(200)
    flood = [form(sender, f"message {n}") for n in range(LIMIT + 7)]
    for params in flood:
        assert post(twilio_app, params).status_code == 200
    for params in flood:
        assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
    intents = [inbound(twilio_app, params["MessageSid"])[0].intent for params in flood]
    assert intents[LIMIT:] == ["rate_limited"] * 7
    assert "rate_limited" not in intents[:LIMIT]
    sent = replies(twilio_app, sender)
    purposes = Counter(row.purpose for row in sent)
    assert purposes["rate_limited"] == 1
    assert purposes["reply"] >= LIMIT
    assert (sent[-1].body, sent[-1].purpose) == (RATE_NOTICE, "rate_limited")

    stop = form(sender, "STOP")
    post(twilio_app, stop)
    job_done(twilio_app, stop["MessageSid"])
    assert inbound(twilio_app, stop["MessageSid"])[0].intent == "opt_out"
    assert replies(twilio_app, sender)[-1].purpose == "opt_out"


async def test_the_limit_the_single_notice_and_the_mute(redis: Redis) -> None:
    limiter = RateLimiter(redis, limit=3, window_seconds=60)
    verdicts = [await limiter.hit("sms:+18685550199") for _ in range(10)]
    assert verdicts == [ANSWER] * 3 + [NOTICE] + [QUIET] * 6
    assert await limiter.hit("whatsapp:+18685550199") is ANSWER  # each sender on its own


async def test_a_continuing_flood_stays_muted_and_a_pause_lifts_the_mute(redis: Redis) -> None:
    limiter = RateLimiter(redis, limit=3, window_seconds=2)
    assert [await limiter.hit("sms:x") for _ in range(5)] == [ANSWER] * 3 + [NOTICE, QUIET]
    await asyncio.sleep(1.0)
    assert await limiter.hit("sms:x") is QUIET  # still over the limit: the mute is extended
    await asyncio.sleep(1.4)
    assert await limiter.hit("sms:x") is QUIET  # a new window, but muted until 1 s + 2 s
    await asyncio.sleep(1.1)
    assert await limiter.hit("sms:x") is ANSWER


async def test_a_limiter_needs_a_limit(redis: Redis) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(redis, limit=0)
