"""The Approvals page on the demo lender: settlement offers above a collector's limit and
overrides of the engine's declines, approved or rejected by a second person with the
refusals (own proposal, a limit too low, a missing reason, a stale proposal) shown on the page
and changing nothing.

Loans 31-60 days past due: a collector may grant 10%, a supervisor 30%, an admin 50%.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.applications.lifecycle import Status
from core.applications.overrides import propose_override
from core.collections.settlement_models import OfferKind
from core.collections.settlement_queries import percent
from core.collections.settlements import make_offer
from core.loans.settlement import owed_total
from core.loans.transactions import up_to_date
from core.money import Money
from core.scoring.engine import decide_application
from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import (
    ADMIN,
    AGENT,
    COLLECTOR,
    SUPERVISOR,
    UNDERWRITER,
    execute,
    staff_client,
)
from tests.integration.decisioning_support import FixedBureau, applicant

LOANS_31_60 = ("SELECT l.id FROM loans l WHERE l.status = 'active' AND l.days_past_due "
               "BETWEEN 31 AND 60 AND NOT EXISTS (SELECT 1 FROM settlement_offers o "
               "WHERE o.loan_id = l.id) ORDER BY l.id LIMIT 1")


def lender_now(app: LiveApp) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(app.settings.timezone))


def staff_id(app: LiveApp, email: str) -> int:
    return int(query(app, "SELECT id FROM staff_users WHERE email = :e", e=email))


def proposed_offer(app: LiveApp, discount: str) -> tuple[int, Money]:
    """A lump-sum offer by the demo collector on a loan 31-60 days past due, at `discount`
    (a fraction) off the balance; its id and the balance."""
    loan_id, maker = query(app, LOANS_31_60), staff_id(app, COLLECTOR)
    today = lender_now(app).date()

    async def make() -> tuple[int, Money]:
        async with app.app.state.session_factory() as session, session.begin():
            async with session.begin_nested() as savepoint:
                balance = owed_total(await up_to_date(session, loan_id=loan_id, as_of=today))
                await savepoint.rollback()
            amount = balance - balance.times(Decimal(discount))
            offer = await make_offer(
                session, loan_id=loan_id, staff_id=maker,
                kind=OfferKind.LUMP_SUM, amount=amount, today=today,
                first_due_date=today + dt.timedelta(days=7))
            return offer.id, balance
    result: tuple[int, Money] = app.run(make())
    return result


def engine_declined(app: LiveApp) -> int:
    """A new applicant's TTD 20,000 request, declined by the engine (a court judgment)."""
    now = lender_now(app)

    async def decline() -> int:
        async with app.app.state.session_factory() as session, session.begin():
            application = await applicant(session, now=now - dt.timedelta(hours=1))
            await decide_application(session, application_id=application.id, now=now,
                                     actor="engine", bureau=FixedBureau(judgments=1))
            return application.id
    application_id: int = app.run(decline())
    return application_id


def pending_override(app: LiveApp) -> int:
    """An engine decline with the demo credit officer's pending counter-offer override; the
    proposal's id."""
    application, officer = engine_declined(app), staff_id(app, UNDERWRITER)

    async def propose() -> int:
        async with app.app.state.session_factory() as session, session.begin():
            proposal = await propose_override(
                session, application_id=application, staff_id=officer,
                outcome="counter_offered", reason="Judgment paid; receipt on file",
                offered_amount=Money.of("15000"), offered_term=36, now=lender_now(app))
            return proposal.id
    proposal_id: int = app.run(propose())
    return proposal_id


def status_of(app: LiveApp, table: str, row_id: int) -> Any:
    return query(app, f"SELECT status FROM {table} WHERE id = :id", id=row_id)


async def test_a_supervisor_approves_an_offer_above_the_collectors_limit(
    pages_app: LiveApp,
) -> None:
    offer_id, balance = proposed_offer(pages_app, "0.2")
    discount = balance.times(Decimal("0.2"))
    shown_percent = percent(discount.amount / balance.amount)
    assert shown_percent in ("20.00%", "20.01%")
    async with staff_client(pages_app, COLLECTOR) as collector:
        page = await collector.get("/console/approvals")
        assert page.status_code == 200
        assert f'id="settlement-{offer_id}"' in page.text
        assert 'href="/console/approvals"' in page.text
        assert f"/settlements/{offer_id}/approve" not in page.text
        assert "Overrides of automatic declines" not in page.text
        own = await collector.post(f"/console/approvals/settlements/{offer_id}/approve",
                                   data={"csrf_token": collector.csrf})
    assert own.status_code == 403
    assert "You made this offer; a second person must approve it." in own.text
    assert status_of(pages_app, "settlement_offers", offer_id) == "proposed"
    async with staff_client(pages_app, SUPERVISOR) as supervisor:
        page = await supervisor.get("/console/approvals")
        section = page.text.split(f'id="settlement-{offer_id}"')[1].split("</section>")[0]
        for shown in (str(balance), str(discount), f"({shown_percent})", "Colette Collector",
                      "Supervisor, Admin", "under an hour"):
            assert shown in section, shown
        forged = await supervisor.post(f"/console/approvals/settlements/{offer_id}/approve")
        assert forged.status_code == 403
        approved = await supervisor.post(f"/console/approvals/settlements/{offer_id}/approve",
                                         data={"csrf_token": supervisor.csrf})
        assert approved.status_code == 303
        after = await supervisor.get(approved.headers["location"])
    assert "The settlement offer is approved; the borrower may accept it." in after.text
    assert f'id="settlement-{offer_id}"' not in after.text
    assert status_of(pages_app, "settlement_offers", offer_id) == "approved"
    assert query(pages_app, "SELECT approved_by_staff_id FROM settlement_offers WHERE id = :id",
                 id=offer_id) == staff_id(pages_app, SUPERVISOR)


async def test_a_discount_above_the_viewers_limit_is_refused_then_rejected_with_a_reason(
    pages_app: LiveApp,
) -> None:
    offer_id, _ = proposed_offer(pages_app, "0.35")
    async with staff_client(pages_app, SUPERVISOR) as supervisor:
        page = await supervisor.get("/console/approvals")
        section = page.text.split(f'id="settlement-{offer_id}"')[1].split("</section>")[0]
        assert ("Your limit on loans 31-60 days past due is 30.00%; this discount needs admin "
                "approval.") in html.unescape(section)
        assert "Admin" in section and f"/settlements/{offer_id}/approve" not in section
        refused = await supervisor.post(f"/console/approvals/settlements/{offer_id}/approve",
                                        data={"csrf_token": supervisor.csrf})
    assert refused.status_code == 403
    assert ("needs approval by an admin; the supervisor limit there is 30.00%."
            in html.unescape(refused.text))
    assert status_of(pages_app, "settlement_offers", offer_id) == "proposed"
    async with staff_client(pages_app, ADMIN) as admin:
        blank = await admin.post(f"/console/approvals/settlements/{offer_id}/reject",
                                 data={"csrf_token": admin.csrf, "reason": "  "})
        assert blank.status_code == 422 and "Say who rejects the offer and why." in blank.text
        assert status_of(pages_app, "settlement_offers", offer_id) == "proposed"
        rejected = await admin.post(f"/console/approvals/settlements/{offer_id}/reject", data={
            "csrf_token": admin.csrf, "reason": "Borrower can pay more"})
    assert rejected.status_code == 303
    assert rejected.headers["location"] == "/console/approvals?notice=settlement-rejected"
    assert status_of(pages_app, "settlement_offers", offer_id) == "rejected"
    assert query(pages_app, "SELECT close_reason FROM settlement_offers WHERE id = :id",
                 id=offer_id) == "Borrower can pay more"


async def test_an_officer_proposes_an_override_and_a_supervisor_approves_it(
    pages_app: LiveApp,
) -> None:
    application = engine_declined(pages_app)
    url = f"/console/decisions/{application}/override"
    async with staff_client(pages_app, UNDERWRITER) as officer:
        page = await officer.get("/console/decisions")
        assert f'id="decline-{application}"' in page.text
        assert "There is a court judgment on your credit file." in html.unescape(page.text)
        assert 'href="/console/approvals"' not in page.text
        blank = await officer.post(url, data={"csrf_token": officer.csrf,
                                              "outcome": "approved", "reason": " "})
        too_much = await officer.post(url, data={
            "csrf_token": officer.csrf, "outcome": "counter_offered", "reason": "Bigger",
            "risk_band": "B", "offered_amount": "130000"})
        assert query(pages_app, "SELECT count(*) FROM decline_overrides "
                                "WHERE application_id = :id", id=application) == 0
        made = await officer.post(url, data={
            "csrf_token": officer.csrf, "outcome": "counter_offered", "risk_band": "B",
            "reason": "Judgment paid; receipt on file", "offered_amount": "15000",
            "offered_term": "36"})
        assert made.status_code == 303
        after = await officer.get(made.headers["location"])
        queue = await officer.get("/console/approvals")
    assert blank.status_code == 422 and "Give the reason for overriding the decline." in blank.text
    assert too_much.status_code == 422
    assert "is above the TTD 120,000.00 limit for risk band B" in too_much.text
    assert "The override is proposed" in after.text
    assert "Override proposed by Ulric Underwriter" in after.text
    assert queue.status_code == 403
    proposal = query(pages_app, "SELECT id FROM decline_overrides WHERE application_id = :id",
                     id=application)
    async with staff_client(pages_app, COLLECTOR) as collector:
        refused = await collector.post(f"/console/approvals/overrides/{proposal}/approve",
                                       data={"csrf_token": collector.csrf})
    assert refused.status_code == 403
    assert ("Only supervisors and admins may approve another officer&#39;s decision "
            "(maker-checker).") in refused.text
    async with staff_client(pages_app, SUPERVISOR) as supervisor:
        page = await supervisor.get("/console/approvals")
        section = page.text.split(f'id="override-{proposal}"')[1].split("</section>")[0]
        for shown in ("counter offered, TTD 15,000.00 over 36 months at 14.5% a year, band B",
                      "by Ulric Underwriter", "Judgment paid; receipt on file"):
            assert shown in html.unescape(section), shown
        approved = await supervisor.post(f"/console/approvals/overrides/{proposal}/approve",
                                         data={"csrf_token": supervisor.csrf,
                                               "note": "Receipt seen"})
        assert approved.status_code == 303
        done = await supervisor.get(approved.headers["location"])
    assert "The override is approved; the application has its offer." in done.text
    assert status_of(pages_app, "applications", application) == Status.COUNTER_OFFERED.value
    trace = query(pages_app, "SELECT decision_trace FROM applications WHERE id = :id",
                  id=application)
    assert (trace["override"], trace["proposed_by"], trace["approved_by"], trace["note"]) == (
        True, f"staff:{staff_id(pages_app, UNDERWRITER)}",
        f"staff:{staff_id(pages_app, SUPERVISOR)}", "Receipt seen")
    assert trace["engine"]["reasons"] == ["There is a court judgment on your credit file."]


async def test_own_and_stale_overrides_are_refused_on_the_page_and_rejected(
    pages_app: LiveApp,
) -> None:
    own_application, stale_application = engine_declined(pages_app), engine_declined(pages_app)
    async with staff_client(pages_app, SUPERVISOR) as supervisor:
        for application in (own_application, stale_application):
            made = await supervisor.post(f"/console/decisions/{application}/override", data={
                "csrf_token": supervisor.csrf, "outcome": "approved",
                "reason": "Bureau error confirmed"})
            assert made.status_code == 303
        duplicate = await supervisor.post(f"/console/decisions/{own_application}/override",
                                          data={"csrf_token": supervisor.csrf,
                                                "outcome": "approved", "reason": "Again"})
        assert duplicate.status_code == 409
        assert "already has an override waiting for approval" in duplicate.text
        own, stale = (query(pages_app, "SELECT id FROM decline_overrides WHERE application_id "
                                       "= :id AND status = 'pending'", id=a)
                      for a in (own_application, stale_application))
        page = await supervisor.get("/console/approvals")
        section = page.text.split(f'id="override-{own}"')[1].split("</section>")[0]
        assert "You proposed this override; a second person must approve it." in section
        assert f"/overrides/{own}/approve" not in section
        refused = await supervisor.post(f"/console/approvals/overrides/{own}/approve",
                                        data={"csrf_token": supervisor.csrf})
        assert refused.status_code == 403
        assert "You proposed this override; a second person must approve it." in refused.text
    execute(pages_app, "UPDATE applications SET status_changed_at = status_changed_at "
                       "+ interval '1 minute' WHERE id = :id RETURNING id", id=stale_application)
    async with staff_client(pages_app, ADMIN) as admin:
        page = await admin.get("/console/approvals")
        section = page.text.split(f'id="override-{stale}"')[1].split("</section>")[0]
        assert "The application has changed since this was proposed" in section
        refused = await admin.post(f"/console/approvals/overrides/{stale}/approve",
                                   data={"csrf_token": admin.csrf})
        assert refused.status_code == 409 and "has changed since override" in refused.text
        assert status_of(pages_app, "decline_overrides", stale) == "pending"
        blank = await admin.post(f"/console/approvals/overrides/{own}/reject",
                                 data={"csrf_token": admin.csrf, "reason": ""})
        assert blank.status_code == 422
        assert "Give the reason for rejecting the override." in blank.text
        for proposal in (own, stale):
            rejected = await admin.post(f"/console/approvals/overrides/{proposal}/reject",
                                        data={"csrf_token": admin.csrf, "reason": "Not now"})
            assert rejected.headers["location"] == "/console/approvals?notice=override-rejected"
    assert [status_of(pages_app, "decline_overrides", p) for p in (own, stale)] == [
        "rejected", "rejected"]
    assert [status_of(pages_app, "applications", a)
            for a in (own_application, stale_application)] == ["declined", "declined"]


async def test_the_approvals_link_shows_to_those_who_may_approve(pages_app: LiveApp) -> None:
    for email, shown in ((ADMIN, True), (SUPERVISOR, True), (COLLECTOR, True),
                         (UNDERWRITER, False), (AGENT, False)):
        async with staff_client(pages_app, email) as client:
            home = await client.get("/console/account")
            page = await client.get("/console/approvals")
        assert ('href="/console/approvals"' in home.text) is shown, email
        assert page.status_code == (200 if shown else 403), email
