"""The next-best-action decision table, then compliance applied to the plan."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.collections.buckets import Bucket
from core.collections.lifecycle import CaseState
from core.collections.models import ContactOutcome
from core.collections.nba import (
    Action,
    CaseFacts,
    NextBestAction,
    PendingPromise,
    Plan,
    Verdict,
    plan,
    resolve,
)
from core.customers.models import ContactChannel
from core.money import Money

TODAY = dt.date(2024, 3, 4)
WA, SMS, VOICE = ContactChannel.WHATSAPP, ContactChannel.SMS, ContactChannel.VOICE
BASE = CaseFacts(state=CaseState.ASSIGNED, bucket=Bucket.DPD_1_30, days_past_due=12,
                 broken_promises=0, pending_promise=None, preferred_channel=None,
                 last_outcome=None, today=TODAY)


def facts(**changes: object) -> CaseFacts:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


def promise(days_ahead: int, grace: int = 3) -> PendingPromise:
    return PendingPromise(Money.of("500.00"), TODAY + dt.timedelta(days=days_ahead), grace)


@pytest.mark.parametrize(("case", "action", "channels"), [
    (facts(state=CaseState.CLOSED), Action.HOLD, ()),
    (facts(state=CaseState.DISPUTED, bucket=Bucket.DPD_90_PLUS), Action.HOLD, ()),
    (facts(state=CaseState.SETTLED), Action.HOLD, ()),
    (facts(last_outcome=ContactOutcome.WRONG_NUMBER), Action.SUPERVISOR_REVIEW, ()),
    (facts(broken_promises=3), Action.SUPERVISOR_REVIEW, ()),
    (facts(state=CaseState.PAYMENT_PLAN, broken_promises=1), Action.HOLD, ()),
    (facts(pending_promise=promise(1)), Action.REMINDER_WHATSAPP, (WA, SMS)),
    (facts(pending_promise=promise(0), preferred_channel=SMS), Action.REMINDER_SMS, (SMS, WA)),
    (facts(pending_promise=promise(2)), Action.HOLD, ()),
    (facts(pending_promise=promise(-2)), Action.HOLD, ()),
    (facts(last_outcome=ContactOutcome.HARDSHIP), Action.HARDSHIP_OFFER, (VOICE, WA, SMS)),
    (facts(bucket=Bucket.DPD_90_PLUS, days_past_due=95, preferred_channel=WA),
     Action.SETTLEMENT_OFFER, (WA, VOICE, SMS)),
    (facts(bucket=Bucket.DPD_61_90, days_past_due=70, broken_promises=1),
     Action.HARDSHIP_OFFER, (VOICE, WA, SMS)),
    (facts(broken_promises=1), Action.CALL, (VOICE, WA, SMS)),
    (facts(bucket=Bucket.DPD_31_60, days_past_due=40), Action.CALL, (VOICE, WA, SMS)),
    (facts(bucket=Bucket.DPD_61_90, days_past_due=75), Action.CALL, (VOICE, WA, SMS)),
    (facts(preferred_channel=VOICE), Action.REMINDER_WHATSAPP, (WA, SMS)),
    (facts(preferred_channel=SMS), Action.REMINDER_SMS, (SMS, WA)),
    (facts(bucket=Bucket.CURRENT, days_past_due=0), Action.HOLD, ()),
])
def test_decision_table(case: CaseFacts, action: Action,
                        channels: tuple[ContactChannel, ...]) -> None:
    planned = plan(case)
    assert (planned.action, planned.channels) == (action, channels)
    assert len(planned.reasons) == 1 and planned.reasons[0]


def test_reasons_are_plain_words() -> None:
    assert plan(facts(pending_promise=promise(-2))).reasons == (
        "A promise of TTD 500.00 is due 02 March 2024, with 3 days of grace: wait for the "
        "payment.",)
    assert plan(facts(broken_promises=4)).reasons == (
        "4 promises broken: a supervisor decides the next step.",)
    assert plan(facts()).reasons == ("12 days past due: send a reminder.",)


def test_same_facts_same_answer() -> None:
    assert plan(facts(bucket=Bucket.DPD_31_60)) == plan(facts(bucket=Bucket.DPD_31_60))


ALLOWED = Verdict(allowed=True)
LATE = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
EARLY = dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)


def test_the_first_allowed_channel_is_used() -> None:
    planned = Plan(Action.REMINDER_WHATSAPP, (WA, SMS), ("12 days past due.",))
    assert resolve(planned, {WA: ALLOWED, SMS: ALLOWED}) == NextBestAction(
        Action.REMINDER_WHATSAPP, WA, ("12 days past due.",))
    opted_out = Verdict(allowed=False, reason="opted out of WhatsApp")
    assert resolve(planned, {WA: opted_out, SMS: ALLOWED}) == NextBestAction(
        Action.REMINDER_SMS, SMS, ("12 days past due.", "whatsapp blocked: opted out of WhatsApp"))


def test_a_blocked_call_becomes_a_reminder_and_an_offer_keeps_its_action() -> None:
    no_calls = Verdict(allowed=False, reason="no voice number on file")
    call = Plan(Action.CALL, (VOICE, WA, SMS), ("40 days past due.",))
    assert resolve(call, {VOICE: no_calls, WA: ALLOWED, SMS: ALLOWED}).action is (
        Action.REMINDER_WHATSAPP)
    offer = Plan(Action.SETTLEMENT_OFFER, (VOICE, WA, SMS), ("95 days past due.",))
    best = resolve(offer, {VOICE: no_calls, WA: ALLOWED, SMS: ALLOWED})
    assert (best.action, best.channel) == (Action.SETTLEMENT_OFFER, WA)


def test_everything_blocked_holds_until_the_earliest_time() -> None:
    planned = Plan(Action.REMINDER_WHATSAPP, (WA, SMS), ("12 days past due.",))
    best = resolve(planned, {
        WA: Verdict(allowed=False, reason="outside 08:00–20:00", next_allowed_at=LATE),
        SMS: Verdict(allowed=False, reason="outside 08:00–20:00", next_allowed_at=EARLY),
    })
    assert best == NextBestAction(
        Action.HOLD, None,
        ("12 days past due.", "whatsapp blocked: outside 08:00–20:00",
         "sms blocked: outside 08:00–20:00", "No channel may be used now."),
        next_contact_at=EARLY)
    never = resolve(planned, {WA: Verdict(allowed=False, reason="cease contact"),
                              SMS: Verdict(allowed=False, reason="cease contact")})
    assert never.action is Action.HOLD and never.next_contact_at is None


def test_a_plan_without_contact_needs_no_compliance() -> None:
    planned = Plan(Action.SUPERVISOR_REVIEW, (), ("3 promises broken.",))
    assert resolve(planned, {}) == NextBestAction(Action.SUPERVISOR_REVIEW, None,
                                                  ("3 promises broken.",))
