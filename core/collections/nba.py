"""Next best action for a case: a pure, ordered decision table, then contact compliance.

`plan` picks the action and the channels it could use, first match wins:

    case closed / disputed / settled                    HOLD
    last contact reached a wrong number                 SUPERVISOR_REVIEW (trace the borrower)
    3 or more broken promises                           SUPERVISOR_REVIEW
    on a payment plan                                   HOLD (the plan is followed)
    promise pending, due today or tomorrow              reminder
    promise pending, due later (or in its grace days)   HOLD
    borrower reported hardship                          HARDSHIP_OFFER
    90+ days past due                                   SETTLEMENT_OFFER
    61–90 days past due with a broken promise           HARDSHIP_OFFER
    a broken promise                                    CALL
    31–90 days past due                                 CALL
    1–30 days past due                                  reminder
    nothing past due                                    HOLD

Reminders go by WhatsApp or SMS, the borrower's preferred one first; calls by voice, then a
reminder when calls are blocked; offers by the preferred channel, then voice, WhatsApp, SMS.
`resolve` takes the first channel compliance allows; when it allows none the action is HOLD
with compliance's reasons and the earliest time contact may happen again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from core.collections.buckets import Bucket
from core.collections.lifecycle import CaseState
from core.collections.models import ContactOutcome
from core.customers.models import ContactChannel
from core.money import Money

SUPERVISOR_AFTER_BROKEN: Final = 3
REMIND_DAYS_BEFORE_PROMISE: Final = 1


class Action(StrEnum):
    REMINDER_WHATSAPP = "reminder_whatsapp"
    REMINDER_SMS = "reminder_sms"
    CALL = "call"
    HARDSHIP_OFFER = "hardship_offer"
    SETTLEMENT_OFFER = "settlement_offer"
    SUPERVISOR_REVIEW = "supervisor_review"
    HOLD = "hold"


_MESSAGING: Final = (ContactChannel.WHATSAPP, ContactChannel.SMS)
_REMINDER: Final = {ContactChannel.WHATSAPP: Action.REMINDER_WHATSAPP,
                    ContactChannel.SMS: Action.REMINDER_SMS}


@dataclass(frozen=True, slots=True)
class PendingPromise:
    amount: Money
    promised_date: dt.date
    grace_days: int


@dataclass(frozen=True, slots=True)
class CaseFacts:
    state: CaseState
    bucket: Bucket
    days_past_due: int
    broken_promises: int
    pending_promise: PendingPromise | None
    preferred_channel: ContactChannel | None
    last_outcome: ContactOutcome | None
    today: dt.date


@dataclass(frozen=True, slots=True)
class Plan:
    """The action before compliance: `channels` in order of preference (empty: no contact)."""

    action: Action
    channels: tuple[ContactChannel, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Contact compliance's answer for one channel now."""

    allowed: bool
    reason: str = ""
    next_allowed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class NextBestAction:
    action: Action
    channel: ContactChannel | None
    reasons: tuple[str, ...]
    next_contact_at: dt.datetime | None = None


def _reminder_channels(preferred: ContactChannel | None) -> tuple[ContactChannel, ...]:
    return tuple(sorted(_MESSAGING, key=lambda c: c is not preferred))


def _offer_channels(preferred: ContactChannel | None) -> tuple[ContactChannel, ...]:
    return tuple(sorted((ContactChannel.VOICE, *_MESSAGING), key=lambda c: c is not preferred))


def plan(facts: CaseFacts) -> Plan:
    """The decision table of the module docstring, with the reason for each step."""
    def hold(reason: str) -> Plan:
        return Plan(Action.HOLD, (), (reason,))

    def contact(action: Action, channels: tuple[ContactChannel, ...], reason: str) -> Plan:
        return Plan(action, channels, (reason,))

    reminders = _reminder_channels(facts.preferred_channel)
    offers = _offer_channels(facts.preferred_channel)
    broken = facts.broken_promises
    promise = facts.pending_promise
    if facts.state is CaseState.CLOSED:
        return hold("The case is closed.")
    if facts.state is CaseState.DISPUTED:
        return hold("The borrower disputes the debt: no collection contact until it is "
                    "resolved.")
    if facts.state is CaseState.SETTLED:
        return hold("The case is settled: wait for the settlement to complete.")
    if facts.last_outcome is ContactOutcome.WRONG_NUMBER:
        return Plan(Action.SUPERVISOR_REVIEW, (), (
            "The last contact reached a wrong number: the contact details need tracing.",))
    if broken >= SUPERVISOR_AFTER_BROKEN:
        return Plan(Action.SUPERVISOR_REVIEW, (), (
            f"{broken} promises broken: a supervisor decides the next step.",))
    if facts.state is CaseState.PAYMENT_PLAN:
        return hold("The borrower is on a payment plan: follow the plan's schedule.")
    if promise is not None:
        days_left = (promise.promised_date - facts.today).days
        what = f"A promise of {promise.amount} is due {promise.promised_date:%d %B %Y}"
        if 0 <= days_left <= REMIND_DAYS_BEFORE_PROMISE:
            return contact(_REMINDER[reminders[0]], reminders, f"{what}: remind the borrower.")
        if days_left < 0:
            return hold(f"{what}, with {promise.grace_days} days of grace: wait for the "
                        "payment.")
        return hold(f"{what}: wait for it.")
    if facts.last_outcome is ContactOutcome.HARDSHIP:
        return contact(Action.HARDSHIP_OFFER, offers, "The borrower reported hardship.")
    if facts.bucket is Bucket.DPD_90_PLUS:
        return contact(Action.SETTLEMENT_OFFER, offers,
                       f"{facts.days_past_due} days past due: offer a settlement.")
    if facts.bucket is Bucket.DPD_61_90 and broken:
        return contact(Action.HARDSHIP_OFFER, offers,
                       f"{facts.days_past_due} days past due after a broken promise: offer a "
                       "hardship arrangement.")
    if broken:
        return contact(Action.CALL, (ContactChannel.VOICE, *reminders),
                       f"{broken} broken promise(s): call to follow up.")
    if facts.bucket in (Bucket.DPD_31_60, Bucket.DPD_61_90):
        return contact(Action.CALL, (ContactChannel.VOICE, *reminders),
                       f"{facts.days_past_due} days past due: call the borrower.")
    if facts.bucket is Bucket.DPD_1_30:
        return contact(_REMINDER[reminders[0]], reminders,
                       f"{facts.days_past_due} days past due: send a reminder.")
    return hold("Nothing is past due.")


def resolve(planned: Plan, verdicts: Mapping[ContactChannel, Verdict]) -> NextBestAction:
    """Apply compliance to a plan: the first allowed channel, or HOLD with why and when."""
    if not planned.channels:
        return NextBestAction(planned.action, None, planned.reasons)
    blocked: list[str] = []
    for channel in planned.channels:
        verdict = verdicts[channel]
        if not verdict.allowed:
            blocked.append(f"{channel.value} blocked: {verdict.reason}")
            continue
        action = planned.action
        if action in (*_REMINDER.values(), Action.CALL) and channel in _REMINDER:
            action = _REMINDER[channel]
        return NextBestAction(action, channel, (*planned.reasons, *blocked))
    times = [v.next_allowed_at for c in planned.channels
             if (v := verdicts[c]).next_allowed_at is not None]
    return NextBestAction(
        Action.HOLD, None,
        (*planned.reasons, *blocked, "No channel may be used now."),
        next_contact_at=min(times) if times else None,
    )
