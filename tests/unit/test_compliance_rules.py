"""Caps, cooling-off, consent, opt-out and holds in the pure contact decision (Trinidad &
Tobago demo profile: 3 a day, 2 a day per channel, 10 in 7 days, 3 hours apart)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.compliance.decision import (
    AttemptFact,
    Block,
    ContactDecision,
    ContactFacts,
    HoldFact,
    decide,
)
from core.compliance.models import ActorKind, ContactPurpose, HoldType
from core.compliance.policy import load_profile, parse_profile
from core.customers.models import ContactChannel
from core.errors import ValidationError

SMS, WHATSAPP, VOICE, EMAIL = (ContactChannel.SMS, ContactChannel.WHATSAPP,
                               ContactChannel.VOICE, ContactChannel.EMAIL)
AUTOMATED, HUMAN = ActorKind.AUTOMATED, ActorKind.HUMAN


def local(text: str) -> dt.datetime:
    """A Port of Spain wall-clock time (UTC−4, no daylight saving) as UTC."""
    return (dt.datetime.fromisoformat(text) + dt.timedelta(hours=4)).replace(tzinfo=dt.UTC)


def tried(*attempts: tuple[str, ContactChannel]) -> list[AttemptFact]:
    return [AttemptFact(local(at), channel) for at, channel in attempts]


def check(at: str, channel: ContactChannel = SMS, *, kind: ActorKind = AUTOMATED,
          purpose: ContactPurpose = ContactPurpose.COLLECTIONS,
          **facts: object) -> ContactDecision:
    return decide(load_profile(),
                  ContactFacts(time_zone="America/Port_of_Spain", **facts),  # type: ignore[arg-type]
                  channel=channel, purpose=purpose, actor_kind=kind, at=local(at))


def test_the_third_contact_of_the_day_is_allowed_and_the_fourth_is_not() -> None:
    two = tried(("2024-05-06T08:00", SMS), ("2024-05-06T11:00", WHATSAPP))
    assert check("2024-05-06T14:00", VOICE, attempts=two).allowed
    three = [*two, *tried(("2024-05-06T14:00", VOICE))]
    fourth = check("2024-05-06T17:00", EMAIL, attempts=three)
    assert not fourth.allowed
    assert fourth.codes == [Block.DAILY_CAP]
    assert fourth.reasons == [
        "The borrower was contacted 3 times today (the borrower's day); the limit is 3."]
    assert fourth.next_allowed_at == local("2024-05-07T08:00")  # midnight, then opening hours


def test_the_channel_cap_stops_a_third_sms_but_not_a_whatsapp() -> None:
    two = tried(("2024-05-06T08:00", SMS), ("2024-05-06T11:00", SMS))
    third_sms = check("2024-05-06T14:00", SMS, attempts=two)
    assert third_sms.codes == [Block.DAILY_CHANNEL_CAP]
    assert third_sms.reasons == ["The borrower was contacted 2 times by SMS today (the "
                                 "borrower's day); the limit is 2."]
    assert third_sms.next_allowed_at == local("2024-05-07T08:00")
    assert check("2024-05-06T14:00", WHATSAPP, attempts=two).allowed


def test_the_rolling_seven_day_cap_clears_when_the_oldest_attempt_is_seven_days_old() -> None:
    week = tried(*[(f"2024-05-{day:02d}T{hour}", channel)
                   for day in range(6, 11)
                   for hour, channel in (("08:00", SMS), ("11:00", WHATSAPP))])
    saturday = check("2024-05-11T10:00", VOICE, attempts=week)
    assert saturday.codes == [Block.WEEKLY_CAP]
    assert saturday.reasons == [
        "The borrower was contacted 10 times in the last 7 days; the limit is 10."]
    assert saturday.next_allowed_at == local("2024-05-13T08:00")  # Monday's 08:00 + 7 days
    assert not check("2024-05-13T07:59", VOICE, attempts=week).allowed
    assert check("2024-05-13T08:00", VOICE, attempts=week).allowed


def test_the_seven_day_channel_cap_counts_that_channel_only() -> None:
    five_sms = tried(*[(f"2024-05-{day:02d}T09:00", SMS) for day in range(6, 11)])
    sms = check("2024-05-11T12:00", SMS, attempts=five_sms)
    assert sms.codes == [Block.WEEKLY_CHANNEL_CAP]
    assert sms.next_allowed_at == local("2024-05-13T09:00")
    assert check("2024-05-11T12:00", WHATSAPP, attempts=five_sms).allowed


def test_cooling_off_ends_exactly_three_hours_after_the_last_attempt() -> None:
    last = tried(("2024-05-06T08:00", SMS))
    early = check("2024-05-06T10:59", WHATSAPP, attempts=last)
    assert early.codes == [Block.COOLING_OFF]
    assert early.reasons == [
        "The last contact was at 08:00 on Monday 2024-05-06 (the borrower's time); contacts "
        "must be at least 3 hours apart."]
    assert early.next_allowed_at == local("2024-05-06T11:00")
    assert check("2024-05-06T11:00", WHATSAPP, attempts=last).allowed


def test_cooling_off_that_ends_after_hours_waits_for_the_next_opening() -> None:
    decision = check("2024-05-06T19:00", attempts=tried(("2024-05-06T18:00", VOICE)))
    assert decision.next_allowed_at == local("2024-05-07T08:00")


def test_every_reason_is_given_at_once() -> None:
    decision = check("2024-05-06T21:00", SMS, opted_out=True,
                     attempts=tried(("2024-05-06T19:30", SMS)))
    assert decision.codes == [Block.OPTED_OUT, Block.OUTSIDE_HOURS, Block.COOLING_OFF]
    assert decision.next_allowed_at is None


def test_opt_out_and_a_missing_contact_point_block_until_the_record_changes() -> None:
    opted = check("2024-05-06T09:00", opted_out=True)
    assert (opted.allowed, opted.reasons, opted.next_allowed_at) == (
        False, ["The borrower opted out of contact by SMS."], None)
    missing = check("2024-05-06T09:00", WHATSAPP, kind=HUMAN, has_contact_point=False)
    assert missing.reasons == ["The borrower has no active WhatsApp contact point."]


def test_marketing_needs_consent_on_the_channel() -> None:
    refused = check("2024-05-06T09:00", purpose=ContactPurpose.MARKETING)
    assert refused.reasons == ["The borrower has not consented to marketing by SMS."]
    assert refused.next_allowed_at is None
    assert check("2024-05-06T09:00", purpose=ContactPurpose.MARKETING,
                 marketing_consent=True).allowed


def hold(kind: HoldType, start: str, end: str | None = None) -> HoldFact:
    return HoldFact(kind, local(start), local(end) if end else None, "borrower's request")


def test_cease_contact_blocks_everyone_with_no_next_time() -> None:
    decision = check("2024-05-06T09:00", kind=HUMAN,
                     holds=[hold(HoldType.CEASE_CONTACT, "2024-05-01T10:00")])
    assert decision.codes == [Block.CEASE_CONTACT]
    assert decision.reasons == ["The borrower asked us to stop contacting them (cease-contact "
                                "hold since 2024-05-01: borrower's request)."]
    assert decision.next_allowed_at is None


def test_a_dispute_hold_with_an_end_clears_then_at_the_next_opening() -> None:
    dispute = hold(HoldType.DISPUTE, "2024-05-01T10:00", "2024-05-06T21:00")
    decision = check("2024-05-06T09:00", kind=HUMAN, holds=[dispute])
    assert decision.codes == [Block.DISPUTE]
    assert decision.reasons == [
        "The borrower disputes the debt (dispute hold since 2024-05-01 until 21:00 on Monday "
        "2024-05-06: borrower's request); no contact until it is resolved."]
    assert decision.next_allowed_at == local("2024-05-07T08:00")


def test_a_hold_starting_later_does_not_block_now() -> None:
    assert check("2024-05-06T09:00", holds=[hold(HoldType.LEGAL, "2024-05-06T10:00")]).allowed


def test_hardship_blocks_automated_reminders_but_a_person_may_call() -> None:
    hardship = [hold(HoldType.HARDSHIP, "2024-05-01T10:00")]
    automated = check("2024-05-06T09:00", holds=hardship)
    assert automated.codes == [Block.HARDSHIP]
    assert automated.reasons == ["The borrower is in hardship (since 2024-05-01: borrower's "
                                 "request): no automated contact; a person may contact them."]
    assert automated.next_allowed_at is None
    assert check("2024-05-06T09:00", VOICE, kind=HUMAN, holds=hardship).allowed
    assert not check("2024-05-06T09:00", VOICE, kind=HUMAN, holds=hardship,
                     purpose=ContactPurpose.MARKETING, marketing_consent=True).allowed


def test_vulnerability_needs_a_supervisor_approval_covering_the_moment() -> None:
    vulnerable = [hold(HoldType.VULNERABILITY, "2024-05-01T10:00")]
    assert not check("2024-05-06T09:00", VOICE, holds=vulnerable).allowed
    unapproved = check("2024-05-06T09:00", VOICE, kind=HUMAN, holds=vulnerable)
    assert unapproved.codes == [Block.VULNERABILITY]
    assert unapproved.next_allowed_at is None
    later = [(local("2024-05-06T13:00"), local("2024-05-06T17:00"))]
    waiting = check("2024-05-06T09:00", VOICE, kind=HUMAN, holds=vulnerable, approvals=later)
    assert waiting.next_allowed_at == local("2024-05-06T13:00")
    assert check("2024-05-06T13:00", VOICE, kind=HUMAN, holds=vulnerable,
                 approvals=later).allowed
    assert not check("2024-05-06T17:00", VOICE, kind=HUMAN, holds=vulnerable,
                     approvals=later).allowed


def test_a_deceased_customer_is_never_contacted() -> None:
    decision = check("2024-05-06T09:00", kind=HUMAN, deceased=True)
    assert decision.reasons == ["The customer is recorded as deceased."]
    assert decision.next_allowed_at is None


@pytest.mark.parametrize(("change", "message"), [
    ({"hours": {"monday": []}}, "missing: tuesday, wednesday"),
    ({"hours": {**{d: [] for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                  "saturday")},
                "sunday": [{"start": "20:00", "end": "08:00"}]}}, "must start before it ends"),
    ({"hours": {**{d: [] for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                  "saturday")},
                "sunday": [{"start": "08:00", "end": "12:00"},
                           {"start": "11:00", "end": "13:00"}]}}, "the windows on sunday overlap"),
    ({"caps_per_day": {"all": 0}}, "caps_per_day.all: Input should be greater than 0"),
    ({"cooling_off_minutes": -1}, "cooling_off_minutes"),
    ({"curfew": True}, "curfew: Extra inputs are not permitted"),
])
def test_a_bad_profile_is_refused_with_what_is_wrong(change: dict[str, object],
                                                     message: str) -> None:
    data = {**load_profile().model_dump(mode="json"), **change}
    with pytest.raises(ValidationError, match="That contact profile is not valid") as error:
        parse_profile(data)
    assert message in error.value.message
