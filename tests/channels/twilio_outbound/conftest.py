"""Outbound delivery's test world: the fake Twilio, a migrated database of the package's own
whose rows are committed (senders open their own transactions, as in production), a clock
the tests move, and helpers that queue replies exactly as the agent does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from channels.twilio.delivery import OutboxSender, RetryPolicy, TwilioConfig
from core.conversations.models import Channel, OutboxMessage
from core.conversations.outbox import Outgoing, enqueue_replies
from core.conversations.store import open_conversation, record_inbound
from core.db.session import make_engine, make_session_factory, unit_of_work
from lendline.embedded import EmbeddedPostgres
from tests.agent.clock import Clock
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.channels.fake_twilio import FakeTwilio, running

PUBLIC = "https://lendline.example.com"
SMS_FROM = "+18685550000"
WHATSAPP_FROM = "+18685550001"
TEMPLATES = {"reply": "HX" + "1" * 32, "one_time_code": "HX" + "2" * 32}
START = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
POLICY = RetryPolicy(max_attempts=4, request_timeout=1.0)
_NUMBERS = itertools.count(1)


def number() -> str:
    """A number no other test uses."""
    return f"+1868556{next(_NUMBERS):04d}"


@pytest.fixture(scope="package")
def fake_twilio() -> Iterator[FakeTwilio]:
    with running(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        yield fake


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> FakeTwilio:
    fake_twilio.reset()
    return fake_twilio


@pytest.fixture(scope="package")
async def outbound_engine(postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(postgres.migrated_database("lendline_twilio_out"), pool_size=8)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessions(outbound_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The package database's sessions, emptied of conversations: a sweep sees this test's."""
    async with outbound_engine.begin() as connection:
        await connection.execute(text(
            "TRUNCATE outbox, conversation_messages, conversations, number_opt_outs CASCADE"))
    return make_session_factory(outbound_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def config(fake: FakeTwilio, **changes: Any) -> TwilioConfig:
    return dataclasses.replace(TwilioConfig(
        account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN, public_url=PUBLIC, sms_from=SMS_FROM,
        whatsapp_from=WHATSAPP_FROM, templates=tuple(TEMPLATES.items()), api_url=fake.url,
    ), **changes)


@pytest.fixture
async def sender(sessions: async_sessionmaker[AsyncSession], twilio: FakeTwilio,
                 clock: Clock) -> AsyncIterator[OutboxSender]:
    sender = OutboxSender(config(twilio), session_factory=sessions, policy=POLICY, clock=clock)
    yield sender
    await sender.close()


async def queue(
    sessions: async_sessionmaker[AsyncSession], *, channel: Channel, address: str,
    bodies: Sequence[str], now: dt.datetime, purpose: str = "reply",
    inbound_at: dt.datetime | None = None,
) -> int:
    """Commit a conversation with the number (a message from it at `inbound_at`, if given) and
    its replies queued in the outbox; returns the conversation id."""
    async with unit_of_work(sessions) as session:
        conversation = await open_conversation(session, channel=channel, address=address,
                                               now=now)
        if inbound_at is not None:
            await record_inbound(session, conversation=conversation, body="hi", now=inbound_at,
                                 provider_message_id=f"SM{conversation.id:032d}")
        await enqueue_replies(session, conversation=conversation, now=now,
                              replies=[Outgoing(body, purpose) for body in bodies])
        return conversation.id


async def rows(sessions: async_sessionmaker[AsyncSession], conversation_id: int,
               ) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.conversation_id == conversation_id)
            .order_by(OutboxMessage.id)))
