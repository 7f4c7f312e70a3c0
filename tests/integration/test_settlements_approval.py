"""Settlement offers: discount limits at and around each limit, maker–checker, transitions,
and refusals that change nothing.

The loan (tests/integration/settlement_support.py) owes TTD 10,230.69 on 20 March 2024, 34
days past due (31–60), where the limits are: collector 10%, supervisor 30%, admin 50%.
10% of 10,230.69 is 1,023.069, so a discount of 1,023.06 is within it and 1,023.07 is not;
30% is 3,069.207 (3,069.20 / 3,069.21); 50% is 5,115.345 (5,115.34 / 5,115.35).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.settlement_models import OfferKind, OfferStatus, SettlementOffer
from core.collections.settlement_queries import offer_instalments
from core.collections.settlements import accept_offer, approve_offer, make_offer, reject_offer
from core.errors import (
    ConflictError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from core.loans.calendar import Frequency
from core.loans.models import Loan
from core.money import Money
from core.staff.models import Role
from tests.integration.servicing_book import m
from tests.integration.settlement_support import (
    OFFER_DAY,
    Team,
    arrears_loan,
    counts,
    team,
)

DUE = dt.date(2024, 4, 5)


@pytest.fixture
async def people(session: AsyncSession) -> Team:
    return await team(session)


@pytest.fixture
async def loan(session: AsyncSession) -> Loan:
    return await arrears_loan(session)


async def offer(session: AsyncSession, loan: Loan, maker_id: int, amount: str,
                **changes: Any) -> SettlementOffer:
    values: dict[str, Any] = {"kind": OfferKind.LUMP_SUM, "first_due_date": DUE,
                              "today": OFFER_DAY, **changes}
    return await make_offer(session, loan_id=loan.id, staff_id=maker_id, amount=m(amount),
                            **values)


async def test_a_collector_at_ten_percent_is_approved_on_their_own_authority(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await offer(session, loan, people.collector.id, "9207.63")  # discount 1,023.06
    assert (made.status, made.balance, made.discount, made.bucket.value, made.days_past_due) == (
        OfferStatus.APPROVED, m("10230.69").amount, m("1023.06").amount, "31-60", 34)
    assert (made.approved_by_staff_id, made.approved_on, made.required_role) == (
        people.collector.id, OFFER_DAY, Role.COLLECTOR)
    assert made.expires_on == dt.date(2024, 4, 3)  # 14 days
    rows = await offer_instalments(session, made.id)
    assert [(r.number, r.due_date, r.amount) for r in rows] == [(1, DUE, m("9207.63").amount)]


async def test_a_cent_above_the_collector_limit_waits_for_a_supervisor(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await offer(session, loan, people.collector.id, "9207.62")  # discount 1,023.07
    assert (made.status, made.required_role, made.approved_by_staff_id) == (
        OfferStatus.PROPOSED, Role.SUPERVISOR, None)
    with pytest.raises(PermissionDenied) as other_collector:
        await approve_offer(session, offer_id=made.id, staff_id=people.collector2.id,
                            today=OFFER_DAY)
    assert other_collector.value.message == (
        "A discount of 10.01% on a loan 31-60 days past due needs approval by a supervisor; "
        "the collector limit there is 10.00%.")
    approved = await approve_offer(session, offer_id=made.id, staff_id=people.supervisor.id,
                                   today=OFFER_DAY)
    assert (approved.status, approved.approved_by_staff_id) == (OfferStatus.APPROVED,
                                                                people.supervisor.id)


async def test_a_supervisor_approves_up_to_thirty_percent_and_an_admin_above(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    at_limit = await offer(session, loan, people.collector.id, "7161.49")  # 3,069.20
    await approve_offer(session, offer_id=at_limit.id, staff_id=people.supervisor.id,
                        today=OFFER_DAY)
    assert at_limit.status is OfferStatus.APPROVED
    await reject_offer(session, offer_id=at_limit.id, reason="borrower declined",
                       actor="staff:x", today=OFFER_DAY)

    above = await offer(session, loan, people.collector.id, "7161.48")  # 3,069.21
    assert above.required_role is Role.ADMIN
    before = await counts(session)
    with pytest.raises(PermissionDenied) as refused:
        await approve_offer(session, offer_id=above.id, staff_id=people.supervisor.id,
                            today=OFFER_DAY)
    assert refused.value.message == (
        "A discount of 30.01% on a loan 31-60 days past due needs approval by an admin; the "
        "supervisor limit there is 30.00%.")
    assert await counts(session) == before and above.status is OfferStatus.PROPOSED
    await approve_offer(session, offer_id=above.id, staff_id=people.admin.id, today=OFFER_DAY)
    assert (above.status, above.approved_by_staff_id) == (OfferStatus.APPROVED,
                                                          people.admin.id)


async def test_the_admin_limit_is_the_last_one(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    at_limit = await offer(session, loan, people.collector.id, "5115.35")  # 5,115.34
    assert (at_limit.status, at_limit.required_role) == (OfferStatus.PROPOSED, Role.ADMIN)
    await reject_offer(session, offer_id=at_limit.id, reason="too generous", actor="staff:x",
                       today=OFFER_DAY)
    before = await counts(session)
    with pytest.raises(ValidationError) as refused:
        await offer(session, loan, people.admin.id, "5115.34")  # 5,115.35
    assert refused.value.message == (
        f"A discount of 50.01% on loan LN-{loan.id:06d} is above the 50% anyone may grant on "
        "loans 31-60 days past due.")
    assert await counts(session) == before


async def test_a_discount_of_exactly_the_admin_limit_is_allowed(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    # On 18 March the loan owes 10,225.26, so 50% is exactly 5,112.63.
    day = dt.date(2024, 3, 18)
    made = await offer(session, loan, people.collector.id, "5112.63", today=day)
    assert (made.balance, made.discount, made.status, made.required_role) == (
        m("10225.26").amount, m("5112.63").amount, OfferStatus.PROPOSED, Role.ADMIN)
    await approve_offer(session, offer_id=made.id, staff_id=people.admin.id, today=day)
    assert made.status is OfferStatus.APPROVED


async def test_the_maker_never_approves_their_own_offer(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await offer(session, loan, people.supervisor.id, "6000.00")  # 41.35%: an admin's
    assert (made.status, made.required_role) == (OfferStatus.PROPOSED, Role.ADMIN)
    before = await counts(session)
    with pytest.raises(PermissionDenied,
                       match="You made this offer; a second person must approve it"):
        await approve_offer(session, offer_id=made.id, staff_id=people.supervisor.id,
                            today=OFFER_DAY)
    assert await counts(session) == before and made.status is OfferStatus.PROPOSED
    with pytest.raises(PermissionDenied, match="needs approval by an admin"):
        await approve_offer(session, offer_id=made.id, staff_id=people.supervisor2.id,
                            today=OFFER_DAY)
    await approve_offer(session, offer_id=made.id, staff_id=people.admin.id, today=OFFER_DAY)
    assert made.status is OfferStatus.APPROVED


async def test_an_admin_offer_within_the_admin_limit_needs_no_checker(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await offer(session, loan, people.admin.id, "6000.00")
    assert (made.status, made.approved_by_staff_id) == (OfferStatus.APPROVED, people.admin.id)


async def test_limits_follow_the_bucket(session: AsyncSession, people: Team, loan: Loan) -> None:
    # On 20 February the loan is 5 days past due (1–30: collector 5%) and owes 10,115.88;
    # 5% is 505.794.
    day = dt.date(2024, 2, 20)
    early = dict(today=day, first_due_date=dt.date(2024, 3, 1))
    within = await offer(session, loan, people.collector.id, "9610.09", **early)  # 505.79
    assert (within.status, within.bucket.value, within.balance) == (
        OfferStatus.APPROVED, "1-30", m("10115.88").amount)
    await reject_offer(session, offer_id=within.id, reason="declined", actor="staff:x",
                       today=day)
    above = await offer(session, loan, people.collector.id, "9610.08", **early)  # 505.80
    assert above.status is OfferStatus.PROPOSED


async def test_a_plan_splits_the_amount_and_steps_the_dates(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    made = await offer(session, loan, people.supervisor.id, "9000.01", kind=OfferKind.PLAN,
                       instalments=3, first_due_date=dt.date(2024, 3, 31))
    rows = await offer_instalments(session, made.id)
    assert [(r.due_date, r.amount) for r in rows] == [
        (dt.date(2024, 3, 31), m("3000.01").amount), (dt.date(2024, 4, 30), m("3000.00").amount),
        (dt.date(2024, 5, 31), m("3000.00").amount)]
    assert made.expires_on == dt.date(2024, 3, 31)  # never after the first payment
    weekly = await reject_offer(session, offer_id=made.id, reason="redo", actor="staff:x",
                                today=OFFER_DAY)
    assert weekly.status is OfferStatus.REJECTED
    again = await offer(session, loan, people.supervisor.id, "9000.00", kind=OfferKind.PLAN,
                        instalments=2, frequency=Frequency.WEEKLY)
    assert [r.due_date for r in await offer_instalments(session, again.id)] == [
        DUE, dt.date(2024, 4, 12)]


@pytest.mark.parametrize(("maker", "amount", "changes", "error", "message"), [
    ("collector", "0.00", {}, ValidationError, "must be more than zero"),
    ("collector", "10230.70", {}, ValidationError,
     "owes TTD 10,230.69 on 2024-03-20; a settlement of TTD 10,230.70 is more than that"),
    ("collector", "9500.00", {"kind": OfferKind.PLAN}, ValidationError,
     "A payment plan has 2 to 24 instalments."),
    ("collector", "9500.00", {"kind": OfferKind.PLAN, "instalments": 25}, ValidationError,
     "2 to 24"),
    ("collector", "9500.00", {"instalments": 2}, ValidationError, "one instalment"),
    ("collector", "9500.00", {"first_due_date": dt.date(2024, 3, 19)}, ValidationError,
     "The first payment must be due between 2024-03-20 and 2024-04-19."),
    ("collector", "9500.00", {"first_due_date": dt.date(2024, 4, 20)}, ValidationError,
     "between 2024-03-20 and 2024-04-19"),
    ("collector", "9500.00", {"expires_on": dt.date(2024, 4, 6)}, ValidationError,
     "accept between 2024-03-20 and the first due date, 2024-04-05"),
    ("collector", "9500.00", {"note": "x" * 501}, ValidationError, "500 characters"),
    ("agent", "9500.00", {}, PermissionDenied,
     "A staff member with the agent role cannot make settlement offers."),
    ("collector", "9500.00", {"today": dt.date(2024, 2, 10),
                              "first_due_date": dt.date(2024, 2, 20)}, ConflictError,
     "is current; settlement offers are for loans in arrears."),
])
async def test_bad_offers_are_refused_and_change_nothing(
    session: AsyncSession, people: Team, loan: Loan, maker: str, amount: str,
    changes: dict[str, Any], error: type[Exception], message: str,
) -> None:
    before = await counts(session)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        await offer(session, loan, getattr(people, maker).id, amount, **changes)
    assert await counts(session) == before


async def test_other_refusals_change_nothing(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    first = await offer(session, loan, people.collector.id, "9500.00")
    before = await counts(session)
    with pytest.raises(ConflictError, match=f"already has an open settlement offer \\({first.id}"):
        await offer(session, loan, people.collector.id, "9400.00")
    with pytest.raises(ValidationError, match="kept in TTD"):
        await make_offer(session, loan_id=loan.id, staff_id=people.collector2.id,
                         kind=OfferKind.LUMP_SUM, amount=Money.of("9400.00", "USD"),
                         first_due_date=DUE, today=OFFER_DAY)
    with pytest.raises(NotFoundError, match="There is no loan 999999"):
        await make_offer(session, loan_id=999999, staff_id=people.collector.id,
                         kind=OfferKind.LUMP_SUM, amount=m("1.00"), first_due_date=DUE,
                         today=OFFER_DAY)
    with pytest.raises(InvalidTransition, match="is approved; it cannot be approved"):
        await approve_offer(session, offer_id=first.id, staff_id=people.admin.id,
                            today=OFFER_DAY)
    with pytest.raises(ConflictError, match="could be accepted until 2024-04-03"):
        await accept_offer(session, offer_id=first.id, accepted_on=dt.date(2024, 4, 4),
                           via="phone", actor="staff:x")
    with pytest.raises(ValidationError, match="cannot be accepted on 2024-03-19"):
        await accept_offer(session, offer_id=first.id, accepted_on=dt.date(2024, 3, 19),
                           via="phone", actor="staff:x")
    with pytest.raises(NotFoundError, match="There is no settlement offer 999999"):
        await approve_offer(session, offer_id=999999, staff_id=people.admin.id, today=OFFER_DAY)
    assert await counts(session) == before


async def test_transitions_follow_the_lifecycle(
    session: AsyncSession, people: Team, loan: Loan
) -> None:
    proposed = await offer(session, loan, people.collector.id, "8000.00")
    with pytest.raises(InvalidTransition, match="still needs approval by a supervisor"):
        await accept_offer(session, offer_id=proposed.id, accepted_on=OFFER_DAY, via="phone",
                           actor="staff:x")
    with pytest.raises(ConflictError, match="it can no longer be approved"):
        await approve_offer(session, offer_id=proposed.id, staff_id=people.supervisor.id,
                            today=dt.date(2024, 4, 4))
    await approve_offer(session, offer_id=proposed.id, staff_id=people.supervisor.id,
                        today=OFFER_DAY)
    accepted = await accept_offer(session, offer_id=proposed.id, accepted_on=OFFER_DAY,
                                  via="whatsapp chat", actor="agent")
    assert (accepted.status, accepted.accepted_on, accepted.accepted_via) == (
        OfferStatus.ACCEPTED, OFFER_DAY, "whatsapp chat")
    with pytest.raises(InvalidTransition, match="is accepted; it cannot be rejected"):
        await reject_offer(session, offer_id=proposed.id, reason="no", actor="staff:x",
                           today=OFFER_DAY)
    with pytest.raises(ValidationError, match="Say who rejects the offer and why"):
        await reject_offer(session, offer_id=proposed.id, reason=" ", actor="staff:x",
                           today=OFFER_DAY)
