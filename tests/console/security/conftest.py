"""Console security fixtures: the app on the test's transaction, a browser-like client over
HTTPS (the session cookie is Secure), and one staff member per role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from lendline.settings import Settings

PASSWORD = "console-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def email_of(role: Role) -> str:
    return f"{role.value}@console.example"


@pytest.fixture
async def app(settings: Settings, session: AsyncSession) -> FastAPI:
    from admin.deps import unit_of_work
    from lendline.app import create_app

    app = create_app(settings, services=None)

    async def same_session() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.dependency_overrides[unit_of_work] = same_session
    return app


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client that does not follow redirects, like a browser's first hop."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://test") as client:
        yield client


@pytest.fixture
async def people(session: AsyncSession) -> dict[Role, StaffUser]:
    return {role: await create_staff(session, email=email_of(role), name=f"{role.label} Test",
                                     role=role, password=PASSWORD, actor="test")
            for role in Role}


def csrf_in(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str,
                  password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page and post the form, as a browser does; returns the post's answer."""
    page = await client.get("/console/login")
    return await client.post("/console/login", data={
        "email": email, "password": password, "csrf_token": csrf_in(page.text),
        "next": "/console/account"})


async def signed_in(client: httpx.AsyncClient, email: str) -> str:
    """Sign in (no second factor) and return the session's CSRF token."""
    answer = await sign_in(client, email)
    assert answer.status_code == 303, answer.text
    return csrf_in((await client.get("/console/account")).text)
