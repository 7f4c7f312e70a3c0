"""Who may open the customer view, the dashboard and the decisions queue, in-process on the
test's transaction (the security fixtures: one staff member per role)."""

from __future__ import annotations

import httpx
import pytest

from core.staff.models import Role, StaffUser
from tests.console.security.conftest import app, browser, email_of, people, signed_in

__all__ = ["app", "browser", "people"]  # fixtures used by name

PAGES = {"/console/customers": {Role.AGENT, Role.COLLECTOR, Role.UNDERWRITER, Role.SUPERVISOR,
                                Role.ADMIN},
         "/console/decisions": {Role.UNDERWRITER, Role.SUPERVISOR, Role.ADMIN},
         "/console/dashboard": {Role.SUPERVISOR, Role.ADMIN}}


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_opens_exactly_the_pages_it_may(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], role: Role,
) -> None:
    await signed_in(browser, email_of(role))
    home = (await browser.get("/console/account")).text
    for path, allowed in PAGES.items():
        answer = await browser.get(path)
        assert answer.status_code == (200 if role in allowed else 403), (path, role)
        assert (f'href="{path}"' in home) is (role in allowed), (path, role)


async def test_anonymous_visitors_are_sent_to_sign_in(browser: httpx.AsyncClient) -> None:
    for path in PAGES:
        answer = await browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login?next=")


async def test_a_decision_needs_the_csrf_token_and_the_permission(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser],
) -> None:
    token = await signed_in(browser, email_of(Role.AGENT))
    refused = await browser.post("/console/decisions/1", data={
        "csrf_token": token, "outcome": "approved", "reason": "Looks fine"})
    assert refused.status_code == 403
    assert "Only credit officers, supervisors and admins may" in refused.text
    await browser.post("/console/logout", data={"csrf_token": token})
    await signed_in(browser, email_of(Role.UNDERWRITER))
    forged = await browser.post("/console/decisions/1", data={
        "outcome": "approved", "reason": "Looks fine"})
    assert forged.status_code == 403
