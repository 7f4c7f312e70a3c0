"""The customer view on the demo lender: search, the numbers core holds, refusals, escaping."""

from __future__ import annotations

import html

import httpx

from core.loans.queries import search_loans
from core.money import Money
from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import AGENT, execute, staff_client


def outstanding(app: LiveApp, customer_id: int) -> list[tuple[str, str]]:
    """(loan number, total owed) for each of the customer's loans, as core computes it."""
    async def run() -> list[tuple[str, str]]:
        async with app.app.state.session_factory() as session:
            loans = await search_loans(session, customer_id=customer_id)
            return [(loan.number, str(Money.of(
                loan.principal_outstanding + loan.interest_receivable + loan.fees_outstanding
                + loan.penalties_outstanding - loan.credit_balance, loan.currency)))
                for loan in loans]
    result: list[tuple[str, str]] = app.run(run())
    return result


async def test_asha_ramdials_page_shows_the_balance_core_holds(pages_app: LiveApp) -> None:
    asha = query(pages_app, "SELECT id FROM customers WHERE first_name = 'Asha' "
                            "AND last_name = 'Ramdial' ORDER BY id LIMIT 1")
    loans = outstanding(pages_app, asha)
    assert loans, "the demo gives Asha a loan"
    async with staff_client(pages_app, AGENT) as client:
        found = await client.get("/console/customers", params={"q": "Asha Ramdial"})
        assert found.status_code == 200
        assert f'href="/console/customers/{asha}"' in found.text
        page = await client.get(f"/console/customers/{asha}")
    assert page.status_code == 200
    assert "Asha Ramdial" in page.text
    for number, owed in loans:
        assert f"Loan {number}" in page.text
        assert f'<b class="balance">{owed}</b>' in page.text
        assert owed.startswith("TTD ") and owed[-3] == "."
    for section in ("profile", "consents", "applications", "contact-history", "conversations"):
        assert f'id="{section}"' in page.text
    assert "Schedule (" in page.text and "Ledger entries (" in page.text


async def test_an_arrears_customer_shows_the_case_with_days_past_due(pages_app: LiveApp) -> None:
    case_customer, days, number = (query(pages_app, sql) for sql in (
        "SELECT customer_id FROM collection_cases WHERE state <> 'closed' ORDER BY id LIMIT 1",
        "SELECT days_past_due FROM collection_cases WHERE state <> 'closed' ORDER BY id LIMIT 1",
        "SELECT number FROM collection_cases WHERE state <> 'closed' ORDER BY id LIMIT 1"))
    async with staff_client(pages_app, AGENT) as client:
        page = await client.get(f"/console/customers/{case_customer}")
    assert f"Collections case {number}" in page.text
    assert f"{days} days past due" in page.text


async def test_conversations_link_to_the_conversation_page(pages_app: LiveApp) -> None:
    customer = query(pages_app, "SELECT id FROM customers ORDER BY id DESC LIMIT 1")
    conversation = execute(pages_app, """
        INSERT INTO conversations (channel, address, customer_id, status, last_activity_at)
        VALUES ('web', 'pages-test', :customer, 'closed', now()) RETURNING id""",
        customer=customer)
    async with staff_client(pages_app, AGENT) as client:
        page = await client.get(f"/console/customers/{customer}")
    assert f'href="/console/conversations/{conversation}"' in page.text


async def test_borrower_text_is_escaped(pages_app: LiveApp) -> None:
    customer = query(pages_app, "SELECT id FROM customers ORDER BY id DESC OFFSET 1 LIMIT 1")
    execute(pages_app, "UPDATE customers SET last_name = :name WHERE id = :id RETURNING id",
            name='<script>alert("x")</script>', id=customer)
    async with staff_client(pages_app, AGENT) as client:
        page = await client.get(f"/console/customers/{customer}")
        listed = await client.get("/console/customers")
    for answer in (page, listed):
        assert '<script>alert("x")</script>' not in answer.text
        assert html.escape('<script>alert("x")</script>').replace("&quot;", "&#34;") \
            in answer.text


async def test_the_customer_view_needs_a_signed_in_staff_member(pages_app: LiveApp) -> None:
    async with httpx.AsyncClient(base_url=pages_app.url) as anonymous:
        page = await anonymous.get("/console/customers/1")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=")
    async with staff_client(pages_app, AGENT) as client:
        missing = await client.get("/console/customers/999999")
    assert missing.status_code == 404
