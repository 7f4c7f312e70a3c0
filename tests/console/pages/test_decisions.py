"""The decisions queue on the demo lender: referred applications decided with a reason."""

from __future__ import annotations

from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import UNDERWRITER, execute, staff_client

REFERRED = "SELECT id FROM applications WHERE status = 'referred' ORDER BY id"


async def test_a_credit_officer_declines_a_referred_application_with_a_reason(
    pages_app: LiveApp,
) -> None:
    application = query(pages_app, REFERRED + " LIMIT 1")
    execute(pages_app, "UPDATE applications SET purpose = :p WHERE id = :id RETURNING id",
            p="<img src=x onerror=alert(1)>", id=application)
    async with staff_client(pages_app, UNDERWRITER) as client:
        page = await client.get("/console/decisions")
        assert page.status_code == 200
        assert f'id="application-{application}"' in page.text
        assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
        forged = await client.post(f"/console/decisions/{application}", data={
            "outcome": "declined", "reason": "No CSRF token"})
        assert forged.status_code == 403
        decided = await client.post(f"/console/decisions/{application}", data={
            "csrf_token": client.csrf, "outcome": "declined",
            "reason": "Income could not be verified"})
        assert decided.status_code == 303
        assert decided.headers["location"] == "/console/decisions?notice=decided"
        after = await client.get(decided.headers["location"])
    assert "The decision is recorded." in after.text
    assert f'id="application-{application}"' not in after.text
    assert query(pages_app, "SELECT status FROM applications WHERE id = :id",
                 id=application) == "declined"
    trace = query(pages_app, "SELECT decision_trace FROM applications WHERE id = :id",
                  id=application)
    assert trace["staff_override"] is True and trace["reason"] == "Income could not be verified"
    underwriter = query(pages_app, "SELECT id FROM staff_users WHERE email = :e", e=UNDERWRITER)
    assert trace["decided_by"] == f"staff:{underwriter}"


async def test_a_decision_without_a_reason_is_refused_and_changes_nothing(
    pages_app: LiveApp,
) -> None:
    application = query(pages_app, REFERRED + " DESC LIMIT 1")
    async with staff_client(pages_app, UNDERWRITER) as client:
        blank = await client.post(f"/console/decisions/{application}", data={
            "csrf_token": client.csrf, "outcome": "approved", "reason": "  ",
            "risk_band": "B"})
        bad_amount = await client.post(f"/console/decisions/{application}", data={
            "csrf_token": client.csrf, "outcome": "counter_offered", "reason": "Smaller loan",
            "risk_band": "B", "offered_amount": "lots"})
    assert blank.status_code == 422 and "Give the reason for the decision." in blank.text
    assert bad_amount.status_code == 422 and "is not an amount" in bad_amount.text
    assert query(pages_app, "SELECT status FROM applications WHERE id = :id",
                 id=application) == "referred"
