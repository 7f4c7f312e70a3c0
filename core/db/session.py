"""Engine and session factories, built by the composition root (never at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the psycopg 3 async driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"Not a PostgreSQL URL: {url}")


CONNECT_TIMEOUT = 5  # seconds: an unreachable server fails the request instead of hanging it


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """The engine; a pooled connection the server has dropped (a restart) is replaced at
    checkout (`pool_pre_ping`), and a server that does not answer fails within seconds."""
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, echo=echo, pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends normally, rolls back on any error."""
    async with factory() as session, session.begin():
        yield session
