"""Console pages against the real app: `pages_app` serves it (uvicorn in a thread, its own
demo-seeded database); `staff_client` signs a demo staff member in over HTTP."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lendline import demo
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, live_app

ADMIN, SUPERVISOR = "admin@lendline.example", "supervisor@lendline.example"
UNDERWRITER, COLLECTOR = "underwriter@lendline.example", "collector@lendline.example"
AGENT = "agent@lendline.example"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture(scope="package")
def pages_app(settings: Settings, postgres: EmbeddedPostgres,
              embedded_redis: EmbeddedRedis) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="console_pages") as app:
        yield app


def execute(app: LiveApp, sql: str, **params: Any) -> Any:
    """Run `sql` in its own committed transaction; the first column of its first row."""
    async def run() -> Any:
        async with app.app.state.session_factory() as session, session.begin():
            return (await session.execute(text(sql), params)).scalar()
    return app.run(run())


class Staff(httpx.AsyncClient):
    csrf: str


@contextlib.asynccontextmanager
async def staff_client(app: LiveApp, email: str) -> AsyncIterator[Staff]:
    """A client signed in as the demo staff member `email`; `.csrf` is its session's token."""
    async with Staff(base_url=app.url) as client:
        page = await client.get("/console/login")
        login = META_CSRF.search(page.text) or re.search(
            r'name="csrf_token" value="([^"]+)"', page.text)
        assert login
        signed = await client.post("/console/login", data={
            "email": email, "password": demo.DEMO_PASSWORD, "csrf_token": login.group(1),
            "next": "/console/account"},
            headers={"Cookie": f"__Host-lendline-login={login.group(1)}"})
        assert signed.status_code == 303, signed.text
        # The session cookie is Secure: over plain HTTP the client must be told to send it.
        client.cookies.clear()
        client.headers["Cookie"] = (
            f"__Host-lendline-session={signed.cookies['__Host-lendline-session']}")
        account = await client.get("/console/account")
        token = META_CSRF.search(account.text)
        assert token
        client.csrf = token.group(1)
        yield client
