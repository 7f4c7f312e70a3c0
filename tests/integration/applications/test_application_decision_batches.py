"""`record_decisions`: a batch leaves every application exactly as `record_decision` would,
with the same audit event, and one bad decision refuses the whole batch, changing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions
from core.applications.decisions import DecisionRecord, record_decisions
from core.applications.lifecycle import Status
from core.applications.models import Application, ApplicationChannel
from core.applications.service import create_application, submit_application
from core.audit import trail
from core.customers.models import Customer
from core.errors import DomainError, InvalidTransition, NotFoundError, ValidationError
from core.products.models import LoanProduct
from tests.integration.applications.conftest import ACTOR, NOW, ttd
from tests.integration.applications.helpers import snapshot

LATER = NOW + dt.timedelta(hours=1)
TRACE = {"score": 700, "band": "A", "rules": [{"rule": "dti", "value": Decimal("0.31")}]}

DECISIONS: list[dict[str, Any]] = [
    {"outcome": "approved", "risk_band": "a"},
    {"outcome": Status.APPROVED, "risk_band": "B", "offered_amount": ttd(15000),
     "offered_term": 18, "offered_rate": Decimal("0.20"), "expires_on": dt.date(2025, 3, 20)},
    {"outcome": "counter_offered", "risk_band": "A", "offered_amount": ttd(8000)},
    {"outcome": "declined"},
    {"outcome": "referred", "risk_band": "C"},
]
"""Every kind of decision: the product's offer, a chosen one, a counter-offer, no offer."""


async def submitted(session: AsyncSession, customer: Customer, count: int) -> list[Application]:
    """`count` applications for TTD 10,000 over 12 months, submitted."""
    found = []
    for _ in range(count):
        draft = await create_application(
            session, customer_id=customer.id, product_code="TEST_CASH", amount=ttd(10000),
            term=12, channel=ApplicationChannel.WHATSAPP, now=NOW, actor=ACTOR)
        found.append(await submit_application(session, application_id=draft.id, actor=ACTOR,
                                              now=NOW))
    return found


async def row(session: AsyncSession, application_id: int) -> dict[str, Any]:
    """The application's row, without what tells two applications apart."""
    found = (await session.execute(text("SELECT * FROM applications WHERE id = :id"),
                                   {"id": application_id})).mappings().one()
    return {k: v for k, v in found.items() if k not in ("id", "reference", "created_at")}


async def last_event(session: AsyncSession, application_id: int) -> tuple[Any, ...]:
    event = (await trail.history(session, entity_type="application",
                                 entity_id=application_id))[-1]
    return event.actor, event.action, event.before, event.after, event.channel


async def test_a_batch_ends_as_one_decision_at_a_time_would(
    session: AsyncSession, customer: Customer, product: LoanProduct
) -> None:
    singles = await submitted(session, customer, len(DECISIONS))
    batch = await submitted(session, customer, len(DECISIONS))
    for application, decision in zip(singles, DECISIONS, strict=True):
        await decisions.record_decision(session, application_id=application.id, trace=TRACE,
                                        actor="engine", now=LATER, **decision)
    decided = await record_decisions(session, actor="engine", now=LATER, decisions=[
        DecisionRecord(application_id=application.id, trace=TRACE, **decision)
        for application, decision in zip(batch, DECISIONS, strict=True)])

    assert decided == batch
    assert [a.status for a in decided] == [Status.APPROVED, Status.APPROVED,
                                           Status.COUNTER_OFFERED, Status.DECLINED,
                                           Status.REFERRED]
    assert [(a.risk_band, a.offered_amount, a.offered_term, a.offered_rate) for a in decided] == [
        ("A", Decimal("10000.00"), 12, Decimal("0.12")),
        ("B", Decimal("15000.00"), 18, Decimal("0.20")),
        ("A", Decimal("8000.00"), 12, Decimal("0.12")),
        (None, None, None, None),
        ("C", None, None, None),
    ]
    assert [(a.decided_at, a.referred_at, a.expires_on) for a in decided] == [
        (LATER, None, dt.date(2025, 4, 2)), (LATER, None, dt.date(2025, 3, 20)),
        (LATER, None, dt.date(2025, 4, 2)), (LATER, None, None), (None, LATER, None)]
    for single, twin in zip(singles, batch, strict=True):
        assert await row(session, twin.id) == await row(session, single.id)
        assert await last_event(session, twin.id) == await last_event(session, single.id)
    actor, action, before, after, _ = await last_event(session, batch[1].id)
    assert (actor, action, before["status"], after["status"]) == (
        "engine", "application.approved", "submitted", "approved")
    assert (after["offered_amount"], after["offered_rate"], after["decided_at"]) == (
        "15000.00", "0.20", LATER.isoformat())
    assert after["decision_trace"]["rules"] == [{"rule": "dti", "value": "0.31"}]


async def test_an_empty_batch_writes_nothing(session: AsyncSession) -> None:
    before = await snapshot(session)
    assert await record_decisions(session, decisions=[], actor="engine", now=LATER) == []
    assert await snapshot(session) == before


BAD: list[tuple[str, dict[str, Any]]] = [
    ("not a decision", {"outcome": "maybe"}),
    ("not a decision either", {"outcome": "draft"}),
    ("no band", {"risk_band": None}),
    ("unknown band", {"risk_band": "Z"}),
    ("ineligible band", {"risk_band": "E"}),
    ("over the band's limit", {"risk_band": "B", "offered_amount": ttd(25000)}),
    ("rate outside the product", {"offered_rate": Decimal("0.30")}),
    ("counter-offer changing nothing", {"outcome": "counter_offered"}),
    ("offer on a decline", {"outcome": "declined", "offered_amount": ttd(5000)}),
    ("expired offer", {"expires_on": dt.date(2025, 3, 2)}),
    ("trace not a mapping", {"trace": ["not", "a", "mapping"]}),
]


async def failure(call: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize(("case", "change"), BAD, ids=[case for case, _ in BAD])
async def test_each_decision_is_checked_as_a_single_one_is(
    session: AsyncSession, customer: Customer, product: LoanProduct, case: str,
    change: dict[str, Any],
) -> None:
    first, bad, last = await submitted(session, customer, 3)
    values: dict[str, Any] = {"outcome": "approved", "trace": TRACE, "risk_band": "A", **change}
    before = await snapshot(session)
    single = await failure(decisions.record_decision(
        session, application_id=bad.id, actor="engine", now=LATER, **values))
    in_batch = await failure(record_decisions(session, actor="engine", now=LATER, decisions=[
        DecisionRecord(application_id=first.id, outcome="declined", trace=TRACE),
        DecisionRecord(application_id=bad.id, **values),
        DecisionRecord(application_id=last.id, outcome="referred", trace=TRACE)]))

    assert type(single) is type(in_batch) is ValidationError
    assert in_batch.message == f"Application {bad.reference}: {single.message}"
    assert await snapshot(session) == before
    assert first.status is Status.SUBMITTED


async def test_a_batch_with_a_decision_the_lifecycle_forbids_changes_nothing(
    session: AsyncSession, customer: Customer, product: LoanProduct
) -> None:
    first, decided, last = await submitted(session, customer, 3)
    await decisions.record_decision(session, application_id=decided.id, outcome="declined",
                                    trace=TRACE, actor="engine", now=NOW)
    batch = [DecisionRecord(application_id=first.id, outcome="referred", trace=TRACE),
             DecisionRecord(application_id=decided.id, outcome="approved", trace=TRACE,
                            risk_band="A"),
             DecisionRecord(application_id=last.id, outcome="declined", trace=TRACE)]
    before = await snapshot(session)
    with pytest.raises(InvalidTransition,
                       match=rf"^Application {decided.reference} is declined; it cannot be "
                             "approved.$"):
        await record_decisions(session, decisions=batch, actor="engine", now=LATER)
    assert await snapshot(session) == before


@pytest.mark.parametrize(("ids", "error", "message"), [
    ("unknown", NotFoundError, "There is no application with id 999999"),
    ("repeated", ValidationError, r"Application id \d+ appears twice; record one decision"),
])
async def test_unknown_or_repeated_applications_refuse_the_batch(
    session: AsyncSession, customer: Customer, product: LoanProduct, ids: str,
    error: type[DomainError], message: str,
) -> None:
    first, second = await submitted(session, customer, 2)
    other = 999_999 if ids == "unknown" else first.id
    batch = [DecisionRecord(application_id=i, outcome="declined", trace=TRACE)
             for i in (first.id, second.id, other)]
    before = await snapshot(session)
    with pytest.raises(error, match=message):
        await record_decisions(session, decisions=batch, actor="engine", now=LATER)
    with pytest.raises(ValidationError, match="time zone"):
        await record_decisions(session, decisions=batch[:1], actor="engine",
                               now=LATER.replace(tzinfo=None))
    assert await snapshot(session) == before
