"""Two databases of their own: an empty one for the retention runs (whose fixed `now` lies
years ahead, so nothing another test left behind may be in reach) and one seeded with the
demo lender for the export and the agent. Every test runs in a transaction rolled back
afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from agent import checkpoint
from core.db.session import make_engine, unit_of_work
from lendline import demo
from lendline.embedded import EmbeddedPostgres
from lendline.services import plain_url
from lendline.settings import Settings

TODAY = dt.date(2026, 11, 20)


async def _rolled_back(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        if transaction.is_active:
            await transaction.rollback()


def _session(connection: AsyncConnection) -> AsyncSession:
    return AsyncSession(bind=connection, expire_on_commit=False,
                        join_transaction_mode="create_savepoint")


@pytest.fixture(scope="session")
async def empty_engine(postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    url = postgres.migrated_database("lendline_privacy_empty")
    await checkpoint.setup(plain_url(url))
    engine = make_engine(url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def empty_connection(empty_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async for connection in _rolled_back(empty_engine):
        yield connection


@pytest.fixture
async def empty_session(empty_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session on the empty database, rolled back after the test."""
    async with _session(empty_connection) as session:
        yield session


@pytest.fixture(scope="session")
async def demo_engine(postgres: EmbeddedPostgres, settings: Settings) -> AsyncIterator[
        AsyncEngine]:
    """A database with the demo lender as of TODAY."""
    url = postgres.migrated_database("lendline_privacy_demo")
    await checkpoint.setup(plain_url(url))
    engine = make_engine(url, pool_size=3)
    async with unit_of_work(async_sessionmaker(engine, expire_on_commit=False)) as session:
        await demo.seed(session, cipher=settings.field_cipher(),
                        secret=settings.resolved_secret_key(), lender_name=settings.lender_name,
                        today=TODAY)
    yield engine
    await engine.dispose()


@pytest.fixture
async def demo_connection(demo_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async for connection in _rolled_back(demo_engine):
        yield connection


@pytest.fixture
async def demo_session(demo_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session on the demo database, rolled back after the test."""
    async with _session(demo_connection) as session:
        yield session
