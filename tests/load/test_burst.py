"""A burst through the real webhook of a live app: 120 signed messages from 30 borrowers at
once, answered by the app's in-process worker and sent through a fake Twilio. Every message
is answered exactly once, each borrower's in the order they were sent (see `burst.check`).
`bench/bench_burst.py` runs the same check on 2,000 messages from 300 borrowers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app
from tests.channels.fake_twilio import running
from tests.load import burst

PUBLIC = "https://lendline.load.example"
MESSAGES, SENDERS, IN_FLIGHT = 120, 30, 16


@pytest.fixture(scope="module")
def twilio() -> Iterator[burst.TimedTwilio]:
    with running(burst.TimedTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        yield fake


@pytest.fixture(scope="module")
def load_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
             twilio: burst.TimedTwilio) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="lendline_load",
                  public_url=PUBLIC, twilio_account_sid=TWILIO_SID,
                  twilio_auth_token=SecretStr(TWILIO_TOKEN), twilio_api_url=twilio.url,
                  twilio_sms_from=burst.LENDER_NUMBER, twilio_whatsapp_from=burst.LENDER_NUMBER,
                  messages_per_minute=1000) as app:
        assert app.run(app.app.state.outbox.listening.wait()) is True
        yield app


def burst_of(app: LiveApp, twilio: burst.TimedTwilio, messages: int, senders: int, *,
             first_number: int) -> tuple[list[burst.Borrower], list[burst.Posted]]:
    """Post the burst and wait until every job has run and every reply has gone."""
    borrowers = burst.borrowers(messages, senders, auth_token=TWILIO_TOKEN,
                                signed_url=PUBLIC + burst.PATH, account_sid=TWILIO_SID,
                                first_number=first_number)
    posted = asyncio.run(burst.post_burst(app.url, borrowers, in_flight=IN_FLIGHT))
    assert app.settings.database_url is not None
    burst.wait_settled(app.settings.database_url, timeout=120)
    return borrowers, posted


def test_every_message_of_a_burst_is_answered_once_and_in_order(
        load_app: LiveApp, twilio: burst.TimedTwilio) -> None:
    borrowers, posted = burst_of(load_app, twilio, MESSAGES, SENDERS, first_number=7_000_000)
    assert len(posted) == MESSAGES
    assert load_app.settings.database_url is not None
    outcome = burst.check(load_app.settings.database_url, borrowers, posted, twilio)
    assert outcome.problems == []
    assert outcome.replies == MESSAGES and outcome.parts >= MESSAGES
    assert len(outcome.answer_seconds) == MESSAGES and min(outcome.answer_seconds) > 0


def test_twilio_redelivering_a_burst_gets_no_second_answer(
        load_app: LiveApp, twilio: burst.TimedTwilio) -> None:
    _, posted = burst_of(load_app, twilio, 20, 10, first_number=7_100_000)
    sent = len(twilio.messages)
    again, reposted = burst_of(load_app, twilio, 20, 10, first_number=7_100_000)
    assert len(reposted) == 20 and len(twilio.messages) == sent
    assert load_app.settings.database_url is not None
    outcome = burst.check(load_app.settings.database_url, again, posted, twilio)
    assert outcome.problems == [] and outcome.replies == 20
