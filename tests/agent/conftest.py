"""The agent's test world: the demo lender seeded once as of a fixed day, every test in a
transaction rolled back afterwards, and an `Agent` wired exactly as the app wires it (offline
understander, local embedder) on that transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from agent import checkpoint
from agent.answers import KnowledgeSearch
from agent.context import AnswerWriter, Understander
from agent.conversation import Agent
from agent.understanding.offline import OfflineUnderstander
from core.crypto import FieldCipher
from core.db.session import make_engine, unit_of_work
from core.otp.service import derive_key
from core.payments.sandbox_provider import SandboxProvider
from knowledge.embedding import HashingEmbedder
from knowledge.ingest import BUNDLED, content_folder, ingest_folder
from lendline import demo
from lendline.embedded import EmbeddedPostgres
from lendline.services import plain_url
from lendline.settings import Settings
from tests.agent.clock import Clock

TODAY = dt.date(2026, 11, 20)
NOON_IN_PORT_OF_SPAIN = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
async def agent_engine(postgres: EmbeddedPostgres, settings: Settings) -> AsyncIterator[
        AsyncEngine]:
    """A database with the demo lender as of TODAY and the bundled knowledge base."""
    url = postgres.migrated_database("lendline_agent")
    await checkpoint.setup(plain_url(url))
    engine = make_engine(url, pool_size=4)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with unit_of_work(factory) as session:
        await demo.seed(session, cipher=FieldCipher(settings.resolved_secret_key()),
                        secret=settings.resolved_secret_key(), lender_name=settings.lender_name,
                        today=TODAY)
    async with unit_of_work(factory) as session:
        await ingest_folder(session, content_folder(), embedder=HashingEmbedder(),
                            collection=BUNDLED)
    yield engine
    await engine.dispose()


@pytest.fixture
async def agent_connection(agent_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with agent_engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON_IN_PORT_OF_SPAIN)


def make_agent(
    connection: AsyncConnection, settings: Settings, clock: Clock, *,
    understander: Understander | None = None, writer: AnswerWriter | None = None,
) -> Agent:
    """An agent whose turns run as savepoints of the test's rolled-back transaction."""
    factory = async_sessionmaker(bind=connection, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
    return Agent(
        session_factory=factory, understander=understander or OfflineUnderstander(),
        cipher=FieldCipher(settings.resolved_secret_key()),
        otp_key=derive_key(settings.resolved_secret_key()),
        knowledge=KnowledgeSearch(HashingEmbedder()), writer=writer,
        payments=SandboxProvider(base_url="http://lendline.test",
                                 app_secret=settings.resolved_secret_key()),
        payment_return_url="http://lendline.test/pay/{reference}",
        lender_name=settings.lender_name, clock=clock,
    )


@pytest.fixture
def agent(agent_connection: AsyncConnection, settings: Settings, clock: Clock) -> Agent:
    return make_agent(agent_connection, settings, clock)
