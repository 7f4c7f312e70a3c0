"""The decision engine end to end on the demo lender: decisions, traces and reasons stored,
the application moved, history and statements used, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import Status
from core.applications.models import ApplicationChannel
from core.applications.service import create_application, submit_application
from core.audit import trail
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.money import Money
from core.scoring.bank_statements import analyse_bank_statement
from core.scoring.engine import (
    decide_application,
    decide_applications,
    decisions_for,
    evaluate_application,
)
from core.scoring.models import CreditDecision, Scorecard
from core.scoring.routing import live_routing
from tests.integration.decisioning_support import (
    ACTOR,
    NOW,
    FixedBureau,
    applicant,
    counts,
    demo_lender,
)

LATER = NOW + dt.timedelta(hours=2)


async def test_worked_example_is_approved_with_a_complete_trace(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session)
    row = await decide_application(session, application_id=app.id, now=LATER, actor="engine",
                                   bureau=FixedBureau())
    assert (row.outcome.value, row.score, row.band, row.reasons) == ("approve", 685, "B", [])
    assert (row.offered_amount, row.offered_term, row.offered_rate) == (
        D("20000.00"), 24, D("0.14500000"))
    assert (app.status, app.risk_band, app.offered_amount, app.offered_term, app.offered_rate) == (
        Status.APPROVED, "B", D("20000.00"), 24, D("0.14500000"))
    trace = row.trace
    card = await session.scalar(select(Scorecard).where(Scorecard.code == "DEMO"))
    assert card is not None
    assert trace["versions"]["scorecard"] == {"id": card.id, "code": "DEMO", "version": 1}
    assert trace["versions"]["rule_set"]["code"] == "DEMO"
    assert trace["versions"]["routing"] == {"version": 1, "role": "champion"}
    assert [(c["fact"], c["value"], c["bin"], c["points"]) for c in
            trace["score"]["characteristics"]] == [
        ("age", "35", "35–49", 35), ("employment_months", "77", "5 years or more", 45),
        ("monthly_income", "10000.00", "7,000–11,999", 25),
        ("debt_to_income", "0.1000", "10–24%", 35), ("bureau_score", "700", "650–719", 80),
        ("bureau_delinquencies", "0", "none", 40), ("employment_status", "employed",
                                                    "Employed", 30),
        ("product_type", "cash", "Cash loan", 10)]
    assert len(trace["rules"]) == 22 and {r["outcome"] for r in trace["rules"]} == {"pass"}
    dsr = next(r for r in trace["rules"] if r["id"] == "DEBT_SERVICE_RATIO")
    assert (dsr["value"], dsr["operator"], dsr["threshold"]) == ("0.1965", ">", "0.45")
    assert trace["offer"] == {"amount": "20000.00", "term": 24, "annual_rate": "0.14500000",
                              "monthly_instalment": "964.99", "debt_service_ratio": "0.1965"}
    assert trace["inputs"]["facts"]["bureau_score"] == "700"
    assert trace["bureau"] == {"name": "fixed", "reference": "FIX-1"}
    assert row.bins["bureau_score"] == "650–719"
    assert app.decision_trace is not None
    assert app.decision_trace["credit_decision_id"] == row.id
    assert app.decision_trace["inputs_hash"] == row.inputs_hash
    events = await trail.history(session, entity_type="application", entity_id=app.id)
    assert events[-1].action == "application.approved" and events[-1].actor == "engine"


async def test_the_same_inputs_and_versions_give_the_same_decision(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session, amount="80000", term=12)
    first = await evaluate_application(session, application_id=app.id, now=LATER,
                                       bureau=FixedBureau())
    second = await evaluate_application(session, application_id=app.id, now=LATER,
                                        bureau=FixedBureau())
    assert first.trace == second.trace
    assert first.decision.outcome.value == "counter_offer"
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=FixedBureau())
    assert row.inputs_hash == first.trace["inputs_hash"]
    assert row.trace == first.trace


async def test_a_judgment_declines_with_plain_reasons(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session)
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=FixedBureau(judgments=1))
    assert (row.outcome.value, app.status, row.offered_amount) == ("decline", Status.DECLINED,
                                                                   None)
    assert row.reasons == ["There is a court judgment on your credit file."]
    assert app.offered_amount is None and app.risk_band == "B"


async def test_an_unverified_identity_is_referred(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session, verified=False)
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=FixedBureau())
    assert (row.outcome.value, app.status, app.risk_band) == ("refer", Status.REFERRED, "B")
    assert row.reasons == ["We have not yet been able to verify your identity."]


async def test_affordability_gives_a_counter_offer(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session, amount="80000", term=12)
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=FixedBureau())
    assert (row.outcome.value, row.offered_amount, row.offered_term) == (
        "counter_offer", D("80000.00"), 27)
    assert (app.status, app.offered_amount, app.offered_term, app.offered_rate) == (
        Status.COUNTER_OFFERED, D("80000.00"), 27, D("0.14500000"))
    assert row.trace["counter_offer"]["candidates_tried"] == 5
    assert row.trace["counter_offer"]["debt_service_ratio"] == "0.4490"
    assert row.reasons == [
        "Your debt repayments, including this loan, would be more than 45% of your income."]


async def test_without_a_national_id_the_bureau_is_not_asked(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session, national_id=False)
    bureau = FixedBureau()
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=bureau)
    assert bureau.calls == 0
    assert row.outcome.value == "refer"
    assert row.reasons[:2] == ["We have not yet been able to verify your identity.",
                               "The credit bureau has no file on you that we could check."]


async def test_other_applications_of_the_customer_count(session: AsyncSession) -> None:
    await demo_lender(session)
    first = await applicant(session)
    second = await create_application(
        session, customer_id=first.customer_id, product_code="PERSONAL",
        amount=Money.of("10000"), term=12, channel=ApplicationChannel.WEB_CHAT, now=NOW,
        actor=ACTOR)
    await submit_application(session, application_id=second.id, actor=ACTOR,
                             now=NOW + dt.timedelta(minutes=5))
    rows = await decide_applications(session, application_ids=[second.id, first.id], now=LATER,
                                     actor=ACTOR, bureau=FixedBureau())
    assert [r.application_id for r in rows] == [second.id, first.id]
    for row in rows:
        facts = row.trace["facts"]
        assert (facts["recent_applications_30d"], facts["open_applications_same_product"]) == (
            "1", "1")
        assert row.outcome.value == "refer"
        assert row.reasons == ["You already have an open application or offer for this product."]


async def test_a_bank_statement_feeds_the_decision(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session)
    lines = ["date,description,amount,balance"]
    for month in (3, 4, 5):
        lines.append(f"2025-{month:02d}-25,SALARY MINISTRY OF EDUCATION,7000.00,{month * 1000}")
        lines.append(f"2025-{month:02d}-28,ABC CAR LOAN,-1500.00,{month * 1000 - 1500}")
    await analyse_bank_statement(session, application_id=app.id, csv_text="\n".join(lines),
                                 actor=ACTOR)
    row = await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                   bureau=FixedBureau())
    facts = row.trace["facts"]
    assert (facts["statement_income"], facts["statement_obligations"]) == ("7000.00", "1500.00")
    # Income for affordability is the lower of declared (10,000) and seen (7,000); debts the
    # larger of bureau (1,000) and statement (1,500): (1,500 + 964.99) / 7,000.
    assert (facts["income_for_affordability"], facts["debt_service_ratio"]) == ("7000.00",
                                                                                "0.3521")
    assert row.outcome.value == "refer"
    assert row.reasons == ["Your bank statement shows less regular income than you declared."]


async def test_refusals_change_nothing(session: AsyncSession) -> None:
    await demo_lender(session)
    draft = await applicant(session, submit=False)
    submitted = await applicant(session)
    before = await counts(session)
    bureau = FixedBureau()
    with pytest.raises(InvalidTransition, match=rf"{draft.reference} is still a draft; the "
                                                "engine decides only submitted applications"):
        await decide_applications(session, application_ids=[submitted.id, draft.id], now=LATER,
                                  actor=ACTOR, bureau=bureau)
    assert bureau.calls == 0
    with pytest.raises(NotFoundError, match="no application with id 99999999"):
        await decide_application(session, application_id=99_999_999, now=LATER, actor=ACTOR,
                                 bureau=FixedBureau())
    with pytest.raises(ValidationError, match="Give 1 to 1000 different application ids"):
        await decide_applications(session, application_ids=[submitted.id, submitted.id],
                                  now=LATER, actor=ACTOR, bureau=FixedBureau())
    with pytest.raises(ValidationError, match="time zone"):
        await decide_application(session, application_id=submitted.id,
                                 now=LATER.replace(tzinfo=None), actor=ACTOR,
                                 bureau=FixedBureau())
    assert await counts(session) == before
    assert submitted.status is Status.SUBMITTED
    await decide_application(session, application_id=submitted.id, now=LATER, actor=ACTOR,
                             bureau=FixedBureau())
    after = await counts(session)
    with pytest.raises(InvalidTransition, match="is approved; the engine decides only"):
        await decide_application(session, application_id=submitted.id, now=LATER, actor=ACTOR,
                                 bureau=FixedBureau())
    assert await counts(session) == after
    assert len(await decisions_for(session, application_id=submitted.id)) == 1


async def test_nothing_is_decided_before_decisioning_is_set_up(session: AsyncSession) -> None:
    from core.products.catalogue import install_catalogue

    await install_catalogue(session)
    app = await applicant(session)
    with pytest.raises(ConflictError, match="Decisioning is not set up"):
        await decide_application(session, application_id=app.id, now=LATER, actor=ACTOR,
                                 bureau=FixedBureau())
    with pytest.raises(ConflictError):
        await live_routing(session)
    assert await session.scalar(select(CreditDecision.id).limit(1)) is None
