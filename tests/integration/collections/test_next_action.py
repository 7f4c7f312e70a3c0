"""The next best action for a case, with a stand-in compliance check and with the real one
(the Trinidad and Tobago profile: 08:00–20:00 Monday to Saturday, borrower's time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.delinquency import run_delinquency
from core.collections.models import CollectionCase
from core.collections.nba import Action, NextBestAction, Verdict
from core.collections.next_action import UNLINKED, next_best_action
from core.customers.contacts import add_contact_point
from core.customers.models import ContactChannel
from tests.integration.collections.helpers import (
    ACTOR,
    FILE,
    account,
    case_of,
    month_end_loans,
    run_import,
)

PORT_OF_SPAIN = ZoneInfo("America/Port_of_Spain")
MONDAY_MORNING = dt.datetime(2024, 2, 12, 7, 59, tzinfo=PORT_OF_SPAIN)


async def open_case(session: AsyncSession) -> CollectionCase:
    (loan,) = await month_end_loans(session)
    await run_delinquency(session, as_of=dt.date(2024, 2, 10), actor=ACTOR)
    case = await case_of(session, loan_id=loan.id)
    assert case is not None
    return case


async def test_with_a_stand_in_check(session: AsyncSession) -> None:
    case = await open_case(session)
    asked: list[tuple[ContactChannel, bool]] = []

    async def whatsapp_opted_out(session: AsyncSession, *, customer_id: int,
                                 channel: ContactChannel, at: dt.datetime,
                                 automated: bool) -> Verdict:
        assert customer_id == case.customer_id and at == MONDAY_MORNING
        asked.append((channel, automated))
        if channel is ContactChannel.WHATSAPP:
            return Verdict(allowed=False, reason="opted out of WhatsApp")
        return Verdict(allowed=True)

    best = await next_best_action(session, case_id=case.id, now=MONDAY_MORNING,
                                  check=whatsapp_opted_out)
    assert best == NextBestAction(
        Action.REMINDER_SMS, ContactChannel.SMS,
        ("10 days past due: send a reminder.", "whatsapp blocked: opted out of WhatsApp"))
    assert asked == [(ContactChannel.WHATSAPP, True), (ContactChannel.SMS, True)]


async def test_with_contact_compliance(session: AsyncSession) -> None:
    case = await open_case(session)
    assert case.customer_id is not None
    nowhere = await next_best_action(session, case_id=case.id, now=MONDAY_MORNING)
    assert nowhere.action is Action.HOLD and nowhere.next_contact_at is None
    await add_contact_point(session, customer_id=case.customer_id,
                            channel=ContactChannel.WHATSAPP, address="868 555 0101",
                            actor=ACTOR)
    early = await next_best_action(session, case_id=case.id, now=MONDAY_MORNING)
    assert early.action is Action.HOLD
    assert early.next_contact_at == dt.datetime(2024, 2, 12, 8, 0, tzinfo=PORT_OF_SPAIN)
    assert early.reasons[0] == "10 days past due: send a reminder."
    on_time = await next_best_action(session, case_id=case.id,
                                     now=MONDAY_MORNING + dt.timedelta(minutes=1))
    assert (on_time.action, on_time.channel) == (Action.REMINDER_WHATSAPP,
                                                 ContactChannel.WHATSAPP)


async def test_an_unlinked_imported_account_is_held(session: AsyncSession) -> None:
    await run_import(session, FILE)
    kavita = await account(session, "ACME", "AC-1")
    case = await case_of(session, account_id=kavita.id)
    assert case is not None
    best = await next_best_action(session, case_id=case.id,
                                  now=dt.datetime(2024, 6, 3, 10, tzinfo=PORT_OF_SPAIN))
    assert best == NextBestAction(
        Action.HOLD, None, ("45 days past due: call the borrower.", UNLINKED))
