"""Payments and promises to pay recorded by hand on the customer view (demo lender)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import (
    AGENT,
    COLLECTOR,
    SUPERVISOR,
    execute,
    staff_client,
)

KEY = re.compile(r'name="key" value="([^"]+)"')


def owed(app: LiveApp, loan: int) -> Decimal:
    value: Decimal = query(app, "SELECT principal_outstanding + interest_receivable "
                                "+ fees_outstanding + penalties_outstanding - credit_balance "
                                "FROM loans WHERE id = :id", id=loan)
    return value


async def test_a_payment_taken_by_hand_reduces_the_balance_once(pages_app: LiveApp) -> None:
    loan = query(pages_app, "SELECT id FROM loans WHERE status = 'active' "
                            "AND days_past_due = 0 ORDER BY id LIMIT 1")
    customer = query(pages_app, "SELECT customer_id FROM loans WHERE id = :id", id=loan)
    before = owed(pages_app, loan)
    async with staff_client(pages_app, AGENT) as client:
        page = await client.get(f"/console/customers/{customer}")
        key = next(k for k in KEY.findall(page.text) if k.endswith(f"-{loan}"))
        form = {"amount": "250.00", "paid_on": str(dt.date.today()), "key": key,
                "reference": "Branch receipt 881"}
        forged = await client.post(f"/console/customers/loans/{loan}/payments", data=form)
        assert forged.status_code == 403
        bad = await client.post(f"/console/customers/loans/{loan}/payments",
                                data={**form, "amount": "-5", "csrf_token": client.csrf})
        assert bad.status_code == 422 and 'role="alert"' in bad.text
        assert owed(pages_app, loan) == before
        first = await client.post(f"/console/customers/loans/{loan}/payments",
                                  data={**form, "csrf_token": client.csrf})
        again = await client.post(f"/console/customers/loans/{loan}/payments",
                                  data={**form, "csrf_token": client.csrf})
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == (
            f"/console/customers/{customer}?notice=payment#loan-{loan}")
        shown = await client.get(first.headers["location"])
    assert owed(pages_app, loan) == before - Decimal("250.00")
    assert query(pages_app, "SELECT count(*) FROM loan_transactions WHERE loan_id = :id "
                            "AND idempotency_key = :k", id=loan, k=f"console:{key}") == 1
    assert "The payment is recorded." in shown.text and "Branch receipt" not in forged.text


async def test_a_collector_records_promises_on_their_own_cases_only(pages_app: LiveApp) -> None:
    collector = query(pages_app, "SELECT id FROM staff_users WHERE email = :e", e=COLLECTOR)
    mine = query(pages_app, "SELECT id FROM collection_cases WHERE state NOT IN "
                            "('closed', 'disputed') AND assigned_to = :me AND loan_id IS NOT NULL "
                            "ORDER BY id LIMIT 1", me=collector)
    # The database outlives a run: cancel a promise an earlier run left pending.
    execute(pages_app, "UPDATE collection_promises SET status = 'cancelled' "
            "WHERE case_id = :id AND status = 'pending' RETURNING id", id=mine)
    other = execute(pages_app, """
        UPDATE collection_cases SET assigned_to = (SELECT id FROM staff_users WHERE email = :s)
        WHERE id = (SELECT id FROM collection_cases WHERE state <> 'closed' AND id <> :mine
                    ORDER BY id DESC LIMIT 1) RETURNING id""", s=SUPERVISOR, mine=mine)
    assert mine and other
    customer = query(pages_app, "SELECT customer_id FROM collection_cases WHERE id = :id",
                     id=mine)
    promised = str(dt.date.today() + dt.timedelta(days=3))
    others_before = query(pages_app, "SELECT count(*) FROM collection_promises "
                                     "WHERE case_id = :id", id=other)
    async with staff_client(pages_app, COLLECTOR) as client:
        page = await client.get(f"/console/customers/{customer}")
        assert f'action="/console/customers/cases/{mine}/promises"' in page.text
        refused = await client.post(f"/console/customers/cases/{other}/promises", data={
            "csrf_token": client.csrf, "amount": "100", "promised_date": promised})
        made = await client.post(f"/console/customers/cases/{mine}/promises", data={
            "csrf_token": client.csrf, "amount": "100", "promised_date": promised})
    assert refused.status_code == 403 and "is not assigned to you" in refused.text
    assert made.status_code == 303, made.text
    assert query(pages_app, "SELECT count(*) FROM collection_promises WHERE case_id = :id "
                            "AND status = 'pending' AND amount = 100", id=mine) == 1
    assert query(pages_app, "SELECT count(*) FROM collection_promises WHERE case_id = :id",
                 id=other) == others_before
    async with staff_client(pages_app, SUPERVISOR) as client:
        page = await client.get(f"/console/customers/{customer}")
    assert "pending" in page.text
