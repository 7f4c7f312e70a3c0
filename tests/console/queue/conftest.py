"""The console's queue and takeover against the real app: `console_app` serves it (uvicorn in
a thread, its own demo-seeded database, the session's Redis); helpers run code on its loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.conversation import Inbound, TurnResult
from core.staff import sessions
from core.staff.models import StaffUser
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, live_app
from tests.console.queue.world import PASSWORD
from tests.console.security.conftest import csrf_in, sign_in


@pytest.fixture(scope="package")
def console_app(settings: Settings, postgres: EmbeddedPostgres,
                embedded_redis: EmbeddedRedis) -> Iterator[LiveApp]:
    """The app without an LLM: offline understanding and template suggestions."""
    with live_app(settings, postgres, embedded_redis, database="console_queue") as app:
        yield app


def converse(app: LiveApp, channel: str, address: str, words: str) -> TurnResult:
    """A borrower's message through the agent, as a channel delivers it."""
    result: TurnResult = app.run(app.app.state.agent.converse(
        Inbound(channel=channel, address=address, text=words)))
    return result


def api_token(app: LiveApp, email: str) -> str:
    """A personal API token for the demo staff member with `email`."""
    async def issue() -> str:
        async with app.app.state.session_factory() as session, session.begin():
            user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
            assert user is not None, email
            issued = await sessions.issue_api_token(
                session, user=user, label="queue tests",
                now=dt.datetime.now(dt.UTC), actor="test")
            return issued.token
    token: str = app.run(issue())
    return token


@pytest.fixture
async def console(settings: Settings, session: AsyncSession) -> AsyncIterator[
        httpx.AsyncClient]:
    """A browser-like client (cookies, no redirects followed, HTTPS for the Secure cookie)
    for the console, whose requests share the test's rolled-back transaction."""
    from admin.deps import unit_of_work
    from lendline.app import create_app

    app = create_app(settings, services=None)

    async def same_session() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.dependency_overrides[unit_of_work] = same_session
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://test") as client:
        yield client


async def sign_in_as(client: httpx.AsyncClient, email: str) -> str:
    """Sign in to the console as a world's staff member; the session's CSRF token."""
    answer = await sign_in(client, email, password=PASSWORD)
    assert answer.status_code == 303, answer.text
    return csrf_in((await client.get("/console/account")).text)
