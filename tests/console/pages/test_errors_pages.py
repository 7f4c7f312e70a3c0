"""Error pages and the site icon on the real server (uvicorn, its own sessions): a missing
object or address is a rendered 404 page and a refusal a 403 page, never a 500.

In-process tests share one session that outlives the request, so they cannot see what
broke here: the request's transaction rolls back on the error, the signed-in member's
records expire, and rendering the page read them from a closed session.
"""

from __future__ import annotations

import html

import httpx
import pytest

from admin.permissions import Permission, refusal
from core.staff.models import Role
from tests.channels.conftest import LiveApp
from tests.console.pages.conftest import AGENT, SUPERVISOR, staff_client

MISSING = {
    "/console/customers/999999": "There is no customer with id 999999.",
    "/console/conversations/999999": "There is no conversation 999999.",
    "/console/knowledge/999999": "There is no knowledge base document 999999.",
    "/console/conversations/999999/citations": "There is no conversation 999999.",
}
FORBIDDEN_TO_AGENTS = {
    "/console/dashboard": Permission.DASHBOARD_VIEW,
    "/console/staff": Permission.STAFF_MANAGE,
    "/console/knowledge": Permission.KNOWLEDGE_MANAGE,
    "/console/decisions": Permission.APPLICATIONS_DECIDE,
}


def is_console_page(answer: httpx.Response, *, signed_in_as: str | None) -> bool:
    """A full console page (not JSON, not a bare error), for the signed-in member if any."""
    page = answer.text
    rendered = (answer.headers["content-type"].startswith("text/html")
                and "<title>" in page and 'href="/console/static/console.css"' in page)
    return rendered and (signed_in_as is None or signed_in_as in page)


@pytest.mark.parametrize(("path", "message"), MISSING.items())
async def test_a_missing_object_is_a_404_page(pages_app: LiveApp, path: str,
                                              message: str) -> None:
    async with staff_client(pages_app, SUPERVISOR) as client:
        answer = await client.get(path)
    assert answer.status_code == 404
    assert is_console_page(answer, signed_in_as="Sita Supervisor"), answer.text[:500]
    assert message in answer.text
    assert "<title>Not found · Lendline</title>" in answer.text


@pytest.mark.parametrize(("path", "permission"), FORBIDDEN_TO_AGENTS.items())
async def test_a_page_the_role_may_not_see_is_a_403_page(pages_app: LiveApp, path: str,
                                                         permission: Permission) -> None:
    async with staff_client(pages_app, AGENT) as client:
        answer = await client.get(path)
    assert answer.status_code == 403
    assert is_console_page(answer, signed_in_as="Andre Agent")
    assert html.escape(refusal(Role.AGENT, permission)) in answer.text


async def test_a_refused_post_after_work_began_is_a_page_too(pages_app: LiveApp) -> None:
    async with staff_client(pages_app, SUPERVISOR) as client:
        answer = await client.post("/console/knowledge/999999/reindex",
                                   data={"csrf_token": client.csrf})
    assert answer.status_code == 404
    assert is_console_page(answer, signed_in_as="Sita Supervisor")
    assert "There is no knowledge base document 999999." in answer.text


async def test_an_unknown_console_address_is_a_404_page_and_the_api_stays_json(
    pages_app: LiveApp,
) -> None:
    async with staff_client(pages_app, AGENT) as client:
        page = await client.get("/console/no-such-page")
        wrong_method = await client.get("/console/logout")
        api = await client.get("/api/v1/no-such-thing")
    assert page.status_code == 404 and is_console_page(page, signed_in_as=None)
    assert "<title>Not found · Lendline</title>" in page.text
    assert "There is no such page in the console." in page.text
    assert wrong_method.status_code == 405 and is_console_page(wrong_method, signed_in_as=None)
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}
    async with httpx.AsyncClient(base_url=pages_app.url) as anonymous:
        stranger = await anonymous.get("/console/no-such-page")
    assert stranger.status_code == 404 and is_console_page(stranger, signed_in_as=None)
    assert 'id="sign-out"' not in stranger.text


async def test_the_favicon_is_served_and_linked(pages_app: LiveApp) -> None:
    async with httpx.AsyncClient(base_url=pages_app.url) as browser:
        icon = await browser.get("/favicon.ico")
        static = await browser.get("/console/static/favicon.svg")
        login = await browser.get("/console/login")
        chat = await browser.get("/chat")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg ") and icon.content == static.content
    assert "max-age" in icon.headers["cache-control"]
    assert '<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">' \
        in login.text
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in chat.text
