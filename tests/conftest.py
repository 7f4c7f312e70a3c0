"""Shared fixtures: one embedded PostgreSQL and Redis per test run, a rolled-back session per test.

A developer's `.env` never reaches the tests: settings are built with `_env_file=None`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.db.session import make_engine
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings

for name in list(os.environ):
    if name.startswith(("LENDLINE_", "OPENAI_", "STRIPE_")) or name in {"DATABASE_URL",
                                                                         "REDIS_URL"}:
        del os.environ[name]


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ll-test-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=data_dir,
        secret_key="test-secret-key-" + "x" * 32,
        run_worker=False,
        seed_demo_data=False,
    )


@pytest.fixture(scope="session")
def postgres(data_dir: Path) -> EmbeddedPostgres:
    return EmbeddedPostgres(data_dir / "pg")


@pytest.fixture(scope="session")
def database_url(postgres: EmbeddedPostgres) -> str:
    return postgres.migrated_database("lendline_test")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits become savepoints of the test's outer transaction."""
    async with AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


async def check_constraints(session: AsyncSession) -> None:
    """Fire deferred constraint triggers now, as COMMIT would."""
    await session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    await session.execute(text("SET CONSTRAINTS ALL DEFERRED"))


@pytest.fixture(scope="session")
def embedded_redis(data_dir: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir / "redis")
    yield server
    server.close()


@pytest.fixture
async def redis(embedded_redis: EmbeddedRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(embedded_redis.url())
    await client.flushdb()
    yield client
    await client.aclose()


STAFF_EMAIL = "tester@lendline.example"
STAFF_PASSWORD = "correct-horse-battery"


@pytest.fixture
async def staff(session: AsyncSession):  # type: ignore[no-untyped-def]
    from core.staff.models import Role
    from core.staff.service import create_staff

    return await create_staff(
        session,
        email=STAFF_EMAIL,
        name="Test Supervisor",
        role=Role.SUPERVISOR,
        password=STAFF_PASSWORD,
        actor="test",
    )


async def bearer_token(session: AsyncSession, email: str, password: str) -> str | None:
    """A personal API token for these credentials, or None if they are wrong.

    The row is written directly, as if the client had made the token in the console long
    ago: a test counting audit events or sign-in failures sees only its own requests.
    """
    import datetime as dt
    import secrets

    from sqlalchemy import select

    from core.staff.models import SessionKind, StaffSession, StaffUser
    from core.staff.passwords import verify_password
    from core.staff.sessions import TOKEN_PREFIX, token_hash

    user = await session.scalar(select(StaffUser).where(StaffUser.email == email.lower()))
    if user is None or not verify_password(password, user.password_hash):
        return None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session.add(StaffSession(staff_id=user.id, kind=SessionKind.API_TOKEN, label="tests",
                             token_hash=token_hash(token), last_seen_at=now,
                             expires_at=now + dt.timedelta(days=1)))
    await session.flush()
    return token


@pytest.fixture
async def api(settings: Settings, session: AsyncSession, staff):  # type: ignore[no-untyped-def]
    """An HTTP client for the app, authenticated as a supervisor, sharing the test's transaction.

    Each request's unit of work runs inside the test's rolled-back outer transaction. Tests
    say who makes a request with `auth=(email, password)` (the supervisor by default,
    `auth=None` for nobody); the API takes only tokens, so a request hook exchanges those
    credentials for a personal API token, once per pair, as a real client would hold one.
    """
    import base64

    import httpx

    from admin.deps import unit_of_work
    from lendline.app import create_app

    app = create_app(settings, services=None)

    async def same_session() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    tokens: dict[str, str | None] = {}

    async def basic_to_bearer(request: httpx.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return
        if header not in tokens:
            email, _, password = base64.b64decode(header[6:]).decode().partition(":")
            tokens[header] = await bearer_token(session, email, password)
        token = tokens[header]
        if token is None:
            del request.headers["Authorization"]
        else:
            request.headers["Authorization"] = f"Bearer {token}"

    app.dependency_overrides[unit_of_work] = same_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", auth=(STAFF_EMAIL, STAFF_PASSWORD),
        event_hooks={"request": [basic_to_bearer]},
    ) as client:
        yield client
