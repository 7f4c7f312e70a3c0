"""Monitoring from stored decisions and the loans that came of them, on a small book whose
statistics are worked by hand; and active loans counting as existing debt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError, ValidationError
from core.scoring import metrics
from core.scoring.engine import decide_application
from core.scoring.monitoring import monitoring_report
from core.scoring.routing import live_routing
from tests.integration.decisioning_support import (
    ACTOR,
    NOW,
    FixedBureau,
    applicant,
    book_loan,
    demo_lender,
)

MARCH = dt.datetime(2025, 3, 3, 10, 0, tzinfo=NOW.tzinfo)
AS_OF = dt.date(2025, 10, 1)


async def _book(session: AsyncSession) -> int:
    """Baseline (March): three decisions scoring 670 (the applicants were 34 then).
    Period (June): bureau scores 750, 700, 600 and 450 give 715 (B), 685 (B), 655 (C) and
    585 (D), all approved and booked; the 685 is written off and the 585 paid 61 days late
    (both bad); one more 685 is declined for a judgment."""
    await demo_lender(session)
    for _ in range(3):
        app = await applicant(session, now=MARCH)
        await decide_application(session, application_id=app.id, now=MARCH, actor=ACTOR,
                                 bureau=FixedBureau())
    outcomes = {750: ("active", 0), 700: ("written_off", 0), 600: ("active", 3),
                450: ("active", 61)}
    for bureau_score, (status, days_late) in outcomes.items():
        app = await applicant(session)
        row = await decide_application(session, application_id=app.id, now=NOW, actor=ACTOR,
                                       bureau=FixedBureau(score=bureau_score))
        assert row.outcome.value == "approve"
        await book_loan(session, app, status=status, days_late=days_late)
    declined = await applicant(session)
    await decide_application(session, application_id=declined.id, now=NOW, actor=ACTOR,
                             bureau=FixedBureau(judgments=1))
    routing = await live_routing(session)
    return int(routing.arms[0]["scorecard_id"])


async def test_rates_by_band_and_vintage_and_discrimination(session: AsyncSession) -> None:
    card = await _book(session)
    report = await monitoring_report(
        session, scorecard_id=card, start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30),
        baseline_start=dt.date(2025, 3, 1), baseline_end=dt.date(2025, 3, 31), as_of=AS_OF)
    assert (report.decisions, report.loans, report.bads) == (5, 4, 2)
    assert report.outcomes == {"approve": 4, "decline": 1, "refer": 0, "counter_offer": 0}
    assert [(r.key, r.decisions, r.approved, r.approval_rate, r.loans, r.bads, r.bad_rate)
            for r in report.by_band] == [
        ("B", 3, 2, D("0.6667"), 2, 1, D("0.5000")),
        ("C", 1, 1, D("1.0000"), 1, 0, D("0.0000")),
        ("D", 1, 1, D("1.0000"), 1, 1, D("1.0000"))]
    assert [(r.key, r.decisions, r.approved, r.loans, r.bads) for r in report.by_vintage] == [
        ("2025-06", 5, 4, 4, 2)]
    # Goods 715 and 655, bads 685 and 585: 3 of the 4 good–bad pairs are ranked right.
    assert (report.auc, report.gini, report.ks) == (D("0.75"), D("0.5"), D("0.5"))


async def test_stability_against_the_baseline(session: AsyncSession) -> None:
    card = await _book(session)
    report = await monitoring_report(
        session, scorecard_id=card, start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30),
        baseline_start=dt.date(2025, 3, 1), baseline_end=dt.date(2025, 3, 31), as_of=AS_OF)
    score = report.score_stability
    assert score.baseline == [0, 0, 0, 0, 0, 0, 3, 0, 0, 0]
    assert score.current == [0, 0, 0, 0, 0, 1, 1, 3, 0, 0]
    # Shares 1 → 0.2 in [630, 685), 0.0001 → 0.2 in [575, 630), 0.0001 → 0.6 in [685, 740):
    # −0.8 ln 0.2 + 0.1999 ln 2000 + 0.5999 ln 6000 = 1.287550 + 1.519419 + 5.218841.
    assert score.psi == metrics.psi(score.baseline, score.current) == D("8.025810")
    assert score.level == "alert"
    by_fact = {s.name: s for s in report.characteristic_stability}
    assert (by_fact["employment_status"].psi, by_fact["employment_status"].level) == (
        D(0), "stable")
    assert (by_fact["age"].baseline, by_fact["age"].current) == ([0, 3, 0, 0, 0, 0],
                                                                 [0, 0, 5, 0, 0, 0])
    assert by_fact["age"].level == "alert"
    assert by_fact["bureau_score"].current == [1, 0, 1, 2, 1, 0]
    assert by_fact["bureau_score"].level == "alert"


async def test_an_empty_period_has_no_statistics(session: AsyncSession) -> None:
    card = await _book(session)
    report = await monitoring_report(
        session, scorecard_id=card, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31),
        baseline_start=dt.date(2025, 3, 1), baseline_end=dt.date(2025, 3, 31), as_of=AS_OF)
    assert (report.decisions, report.auc, report.score_stability.level) == (0, None, "no data")
    with pytest.raises(ValidationError, match="The period ends"):
        await monitoring_report(session, scorecard_id=card, start=dt.date(2025, 6, 2),
                                end=dt.date(2025, 6, 1), baseline_start=dt.date(2025, 3, 1),
                                baseline_end=dt.date(2025, 3, 31), as_of=AS_OF)
    with pytest.raises(NotFoundError):
        await monitoring_report(session, scorecard_id=0, start=dt.date(2025, 6, 1),
                                end=dt.date(2025, 6, 2), baseline_start=dt.date(2025, 3, 1),
                                baseline_end=dt.date(2025, 3, 31), as_of=AS_OF)


async def test_active_loans_count_as_existing_debt(session: AsyncSession) -> None:
    await demo_lender(session)
    earlier = await applicant(session, now=MARCH)
    await decide_application(session, application_id=earlier.id, now=MARCH, actor=ACTOR,
                             bureau=FixedBureau())
    await book_loan(session, earlier, days_late=None)
    again = await applicant(session)
    again.customer_id = earlier.customer_id
    await session.flush()
    row = await decide_application(session, application_id=again.id, now=NOW, actor=ACTOR,
                                   bureau=FixedBureau())
    facts = row.trace["facts"]
    # The unpaid instalment (800 principal + 200 interest) is the next one owed.
    assert (facts["lendline_monthly_payments"], facts["existing_debt_payments"]) == (
        "1000.00", "2000.00")
