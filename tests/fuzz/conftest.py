"""One live app for the fuzz tests (demo lender, Twilio credentials, no job worker: fuzzed
webhooks queue jobs that nobody runs, so no agent turn, media download or send follows),
personal API tokens of demo staff, signed webhooks, and row counts of every table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from core.staff.models import StaffUser
from core.staff.sessions import issue_api_token
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app

PUBLIC = "https://lendline.fuzz.example"
ADMIN = "admin@lendline.example"
AGENT = "agent@lendline.example"


@pytest.fixture(scope="package")
def fuzz_app(settings: Settings, postgres: EmbeddedPostgres,
             embedded_redis: EmbeddedRedis) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="lendline_fuzz",
                  public_url=PUBLIC, twilio_account_sid=TWILIO_SID,
                  twilio_auth_token=SecretStr(TWILIO_TOKEN), run_worker=False) as app:
        yield app


def token_for(app: LiveApp, email: str) -> str:
    """A new personal API token of the demo staff member `email`."""
    async def issue() -> str:
        async with app.app.state.session_factory() as session, session.begin():
            user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
            assert user is not None, f"the demo lender has no {email}"
            issued = await issue_api_token(session, user=user, label="fuzz",
                                           now=dt.datetime.now(dt.UTC), actor="test")
            return issued.token
    token: str = app.run(issue())
    return token


@pytest.fixture(scope="package")
def admin_token(fuzz_app: LiveApp) -> str:
    return token_for(fuzz_app, ADMIN)


@pytest.fixture(scope="package")
def agent_token(fuzz_app: LiveApp) -> str:
    return token_for(fuzz_app, AGENT)


def signed_post(app: LiveApp, path: str, form: dict[str, str], *,
                signature: str | None = None) -> httpx.Response:
    """POST `form` to `path` signed as Twilio signs it for the public URL (or with
    `signature` as given, to forge one)."""
    if signature is None:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form)
    return httpx.post(app.url + path, data=form, headers={"X-Twilio-Signature": signature},
                      timeout=30)


def row_counts(app: LiveApp) -> dict[str, int]:
    """Rows in every table of the app's database, by table name."""
    tables = [str(name) for name in rows(app, "SELECT tablename FROM pg_tables WHERE "
                                              "schemaname = 'public' ORDER BY tablename")]
    union = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM \"{name}\"" for name in tables)
    return {str(name): int(count) for name, count in rows(app, union, whole=True)}


def rows(app: LiveApp, sql: str, *, whole: bool = False) -> list[Any]:
    async def run() -> list[Any]:
        async with app.app.state.session_factory() as session:
            result = await session.execute(text(sql))
            return [tuple(row) if whole else row[0] for row in result.all()]
    found: list[Any] = app.run(run())
    return found

