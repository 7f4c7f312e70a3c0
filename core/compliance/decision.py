"""The contact decision itself, pure: given a profile and the facts about a borrower, may we
contact them at an instant, and if not, why and when next?

Holds (see docs/collections.md, "Contact compliance"):
- CEASE_CONTACT and LEGAL stop every contact; DISPUTE stops every contact until resolved;
- HARDSHIP stops automated contact and marketing; a person may still contact them;
- VULNERABILITY stops automated contact and marketing; a person may contact them only
  while a supervisor's approval covers the moment.
A hold applies from its start until its end or release. Opt-out of the channel, no active
contact point on it, no marketing consent (for marketing) and a deceased customer block
until someone changes the record, so they have no "next allowed" time.

The next allowed instant is found by moving forward to the moment every time-bound block
clears (the next window opening in the borrower's time zone, the next local midnight for a
daily cap, the oldest counted attempt plus 7 days for the rolling cap, the end of cooling
off, a hold's end) and checking again there, until nothing blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from core.compliance.models import ActorKind, ContactPurpose, HoldType
from core.compliance.policy import ContactProfile, Weekday
from core.customers.models import ContactChannel
from core.errors import ValidationError

WEEK: Final = dt.timedelta(days=7)
_MAX_STEPS: Final = 200
CHANNEL_NAMES: Final = {
    ContactChannel.WHATSAPP: "WhatsApp", ContactChannel.SMS: "SMS",
    ContactChannel.VOICE: "voice", ContactChannel.EMAIL: "email",
}


class Block(StrEnum):
    """Why a contact is refused, for programs (the reasons say it in words)."""

    DECEASED = "deceased"
    CEASE_CONTACT = "cease_contact"
    LEGAL = "legal"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    VULNERABILITY = "vulnerability"
    NO_CONTACT_POINT = "no_contact_point"
    OPTED_OUT = "opted_out"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    DAILY_CAP = "daily_cap"
    DAILY_CHANNEL_CAP = "daily_channel_cap"
    WEEKLY_CAP = "weekly_cap"
    WEEKLY_CHANNEL_CAP = "weekly_channel_cap"
    COOLING_OFF = "cooling_off"


@dataclass(frozen=True, slots=True)
class ContactDecision:
    """`allowed` now or not; `reasons` in plain words (empty when allowed); `next_allowed_at`
    the first instant (UTC) from which it is allowed: the checked instant itself when
    allowed, None when nothing foreseeable lifts the block. `codes` matches `reasons`."""

    allowed: bool
    reasons: list[str]
    next_allowed_at: dt.datetime | None
    codes: list[Block] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HoldFact:
    hold_type: HoldType
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    """When it stops applying (its end or release, the earlier); None while open-ended."""
    reason: str

    def active(self, at: dt.datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True, slots=True)
class AttemptFact:
    at: dt.datetime
    channel: ContactChannel


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the decision needs to know about the borrower and the channel asked for."""

    time_zone: str
    deceased: bool = False
    has_contact_point: bool = True
    opted_out: bool = False
    marketing_consent: bool = False
    holds: Sequence[HoldFact] = ()
    approvals: Sequence[tuple[dt.datetime, dt.datetime]] = ()
    """Supervisor approvals to contact a vulnerable borrower: [from, until) windows."""
    attempts: Sequence[AttemptFact] = ()


@dataclass(frozen=True, slots=True)
class _Blocked:
    code: Block
    reason: str
    clears_at: dt.datetime | None


def _when(moment: dt.datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M} on {Weekday.of(local.date()).value.capitalize()} {local:%Y-%m-%d}"


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    return "1 hour" if minutes == 60 else f"{minutes // 60} hours"


def _since(hold: HoldFact, zone: ZoneInfo) -> str:
    until = f" until {_when(hold.ends_at, zone)}" if hold.ends_at is not None else ""
    return f"since {hold.starts_at.astimezone(zone):%Y-%m-%d}{until}: {hold.reason}"


def _approval_clears(facts: ContactFacts, at: dt.datetime) -> dt.datetime | None:
    later = [start for start, _ in facts.approvals if start > at]
    return min(later) if later else None


def _earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def _hold_blocks(
    facts: ContactFacts, zone: ZoneInfo, purpose: ContactPurpose, kind: ActorKind,
    at: dt.datetime,
) -> list[_Blocked]:
    blocks = []
    for hold in sorted(facts.holds, key=lambda h: h.starts_at):
        if not hold.active(at):
            continue
        since, until = _since(hold, zone), hold.ends_at
        match hold.hold_type:
            case HoldType.CEASE_CONTACT:
                blocks.append(_Blocked(Block.CEASE_CONTACT, "The borrower asked us to stop "
                                       f"contacting them (cease-contact hold {since}).", until))
            case HoldType.LEGAL:
                blocks.append(_Blocked(Block.LEGAL, "The account is with the legal team (legal "
                                       f"hold {since}); all contact goes through them.", until))
            case HoldType.DISPUTE:
                blocks.append(_Blocked(Block.DISPUTE, "The borrower disputes the debt (dispute "
                                       f"hold {since}); no contact until it is resolved.", until))
            case HoldType.HARDSHIP if kind is ActorKind.AUTOMATED:
                blocks.append(_Blocked(Block.HARDSHIP, f"The borrower is in hardship ({since}): "
                                       "no automated contact; a person may contact them.", until))
            case HoldType.HARDSHIP if purpose is ContactPurpose.MARKETING:
                blocks.append(_Blocked(Block.HARDSHIP, f"The borrower is in hardship ({since}): "
                                       "no marketing.", until))
            case HoldType.VULNERABILITY if (kind is ActorKind.AUTOMATED
                                            or purpose is ContactPurpose.MARKETING):
                blocks.append(_Blocked(Block.VULNERABILITY, "The borrower is flagged vulnerable "
                                       f"({since}): only a person with a supervisor's approval "
                                       "may contact them, and not for marketing.", until))
            case HoldType.VULNERABILITY if not any(s <= at < e for s, e in facts.approvals):
                blocks.append(_Blocked(Block.VULNERABILITY, "The borrower is flagged vulnerable "
                                       f"({since}): contact needs a supervisor's approval and "
                                       "none covers this time.",
                                       _earliest(until, _approval_clears(facts, at))))
    return blocks


def _record_blocks(facts: ContactFacts, channel: ContactChannel,
                   purpose: ContactPurpose) -> list[_Blocked]:
    name = CHANNEL_NAMES[channel]
    checks = [
        (facts.deceased, Block.DECEASED, "The customer is recorded as deceased."),
        (not facts.has_contact_point, Block.NO_CONTACT_POINT,
         f"The borrower has no active {name} contact point."),
        (facts.opted_out, Block.OPTED_OUT, f"The borrower opted out of contact by {name}."),
        (purpose is ContactPurpose.MARKETING and not facts.marketing_consent,
         Block.NO_MARKETING_CONSENT, f"The borrower has not consented to marketing by {name}."),
    ]
    return [_Blocked(code, reason, None) for failed, code, reason in checks if failed]


def _next_opening(profile: ContactProfile, zone: ZoneInfo, at: dt.datetime) -> dt.datetime | None:
    today = at.astimezone(zone).date()
    for offset in range(8):
        day = today + dt.timedelta(days=offset)
        for window in profile.windows(day):
            opening = dt.datetime.combine(day, window.start, tzinfo=zone)
            if opening > at:
                return opening.astimezone(dt.UTC)
    return None


def _hours_block(profile: ContactProfile, zone: ZoneInfo, at: dt.datetime) -> _Blocked | None:
    local = at.astimezone(zone)
    windows = profile.windows(local.date())
    if any(window.contains(local.time()) for window in windows):
        return None
    opening = _next_opening(profile, zone, at)
    day = Weekday.of(local.date()).value.capitalize()
    if not windows:
        return _Blocked(Block.CLOSED_DAY, f"No contact on {day}s in the borrower's time zone "
                        f"({zone.key}, where it is {_when(at, zone)}).", opening)
    allowed = ", ".join(window.label() for window in windows)
    return _Blocked(Block.OUTSIDE_HOURS, f"It is {_when(at, zone)} in the borrower's time zone "
                    f"({zone.key}); contact is allowed {allowed} there.", opening)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _cap_block(times: Sequence[dt.datetime], cap: int | None, *, weekly: bool, code: Block,
               how: str, zone: ZoneInfo, at: dt.datetime) -> _Blocked | None:
    if cap is None:
        return None
    today = at.astimezone(zone).date()
    if weekly:
        counted = [t for t in times if t > at - WEEK]
        period = "in the last 7 days"
    else:
        counted = [t for t in times if t >= dt.datetime.combine(today, dt.time(0), tzinfo=zone)]
        period = "today (the borrower's day)"
    if len(counted) < cap:
        return None
    if weekly:
        clears = counted[len(counted) - cap] + WEEK
    else:
        clears = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return _Blocked(code, f"The borrower was contacted {_times(len(counted))}{how} {period}; "
                    f"the limit is {cap}.", clears.astimezone(dt.UTC))


def _cap_blocks(profile: ContactProfile, facts: ContactFacts, zone: ZoneInfo,
                channel: ContactChannel, at: dt.datetime) -> list[_Blocked]:
    past = sorted(a.at for a in facts.attempts if a.at <= at)
    on_channel = sorted(a.at for a in facts.attempts if a.at <= at and a.channel is channel)
    by = f" by {CHANNEL_NAMES[channel]}"
    day, week = profile.caps_per_day, profile.caps_per_7_days
    found = [
        _cap_block(past, day.all, weekly=False, code=Block.DAILY_CAP, how="", zone=zone, at=at),
        _cap_block(on_channel, day.channels.get(channel), weekly=False,
                   code=Block.DAILY_CHANNEL_CAP, how=by, zone=zone, at=at),
        _cap_block(past, week.all, weekly=True, code=Block.WEEKLY_CAP, how="", zone=zone, at=at),
        _cap_block(on_channel, week.channels.get(channel), weekly=True,
                   code=Block.WEEKLY_CHANNEL_CAP, how=by, zone=zone, at=at),
    ]
    blocks = [block for block in found if block is not None]
    if past and at - past[-1] < profile.cooling_off:
        blocks.append(_Blocked(Block.COOLING_OFF, f"The last contact was at "
                               f"{_when(past[-1], zone)} (the borrower's time); contacts must be "
                               f"at least {_span(profile.cooling_off)} apart.",
                               (past[-1] + profile.cooling_off).astimezone(dt.UTC)))
    return blocks


def _blocks(profile: ContactProfile, facts: ContactFacts, zone: ZoneInfo,
            channel: ContactChannel, purpose: ContactPurpose, kind: ActorKind,
            at: dt.datetime) -> list[_Blocked]:
    hours = _hours_block(profile, zone, at)
    return [
        *_hold_blocks(facts, zone, purpose, kind, at),
        *_record_blocks(facts, channel, purpose),
        *([hours] if hours is not None else []),
        *_cap_blocks(profile, facts, zone, channel, at),
    ]


def decide(
    profile: ContactProfile, facts: ContactFacts, *, channel: ContactChannel,
    purpose: ContactPurpose, actor_kind: ActorKind, at: dt.datetime,
) -> ContactDecision:
    """The decision for one contact at `at` (an aware datetime); see the module docstring."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError("The time of a contact needs a time zone (e.g. UTC).")
    zone = ZoneInfo(facts.time_zone)
    at = at.astimezone(dt.UTC)
    first = _blocks(profile, facts, zone, channel, purpose, actor_kind, at)
    if not first:
        return ContactDecision(allowed=True, reasons=[], next_allowed_at=at)
    reasons, codes = [b.reason for b in first], [b.code for b in first]
    moment, blocks = at, first
    for _ in range(_MAX_STEPS):
        clears = [b.clears_at for b in blocks]
        if any(c is None for c in clears):
            break
        moment = max(c for c in clears if c is not None)
        blocks = _blocks(profile, facts, zone, channel, purpose, actor_kind, moment)
        if not blocks:
            return ContactDecision(allowed=False, reasons=reasons, next_allowed_at=moment,
                                   codes=codes)
    return ContactDecision(allowed=False, reasons=reasons, next_allowed_at=None, codes=codes)
