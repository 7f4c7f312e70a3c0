"""Contact hours in the borrower's own time zone, at the exact edges, across time zones and
daylight-saving changes (the pure decision, Trinidad & Tobago demo profile: 08:00–20:00
Monday to Saturday, Sunday closed)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.compliance.decision import Block, ContactFacts, decide
from core.compliance.models import ActorKind, ContactPurpose
from core.compliance.policy import load_profile, parse_profile
from core.customers.models import ContactChannel
from core.errors import ValidationError

POS = "America/Port_of_Spain"  # UTC−4 all year
NEW_YORK = "America/New_York"  # UTC−5, UTC−4 in summer


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def check(at: dt.datetime, zone: str = POS, **facts: object):  # type: ignore[no-untyped-def]
    return decide(load_profile(), ContactFacts(time_zone=zone, **facts),  # type: ignore[arg-type]
                  channel=ContactChannel.SMS, purpose=ContactPurpose.COLLECTIONS,
                  actor_kind=ActorKind.AUTOMATED, at=at)


def test_0759_is_refused_until_0800_local() -> None:
    decision = check(utc("2024-05-06T11:59:00"))  # Monday 07:59 in Port of Spain
    assert not decision.allowed
    assert decision.codes == [Block.OUTSIDE_HOURS]
    assert decision.reasons == [
        "It is 07:59 on Monday 2024-05-06 in the borrower's time zone "
        "(America/Port_of_Spain); contact is allowed 08:00–20:00 there."
    ]
    assert decision.next_allowed_at == utc("2024-05-06T12:00:00")


def test_0800_is_allowed_and_says_so_now() -> None:
    at = utc("2024-05-06T12:00:00")
    decision = check(at)
    assert decision.allowed
    assert decision.reasons == [] and decision.codes == []
    assert decision.next_allowed_at == at


def test_a_second_before_eight_is_still_early() -> None:
    assert not check(utc("2024-05-06T11:59:59")).allowed


def test_1959_is_allowed_and_2000_is_refused_until_the_next_morning() -> None:
    assert check(utc("2024-05-06T23:59:00")).allowed  # 19:59 local
    assert check(utc("2024-05-06T23:59:59")).allowed
    decision = check(utc("2024-05-07T00:00:00"))  # 20:00 local, still Monday there
    assert not decision.allowed
    assert decision.reasons == [
        "It is 20:00 on Monday 2024-05-06 in the borrower's time zone "
        "(America/Port_of_Spain); contact is allowed 08:00–20:00 there."
    ]
    assert decision.next_allowed_at == utc("2024-05-07T12:00:00")  # Tuesday 08:00


def test_sunday_is_closed_so_saturday_evening_waits_for_monday() -> None:
    saturday_night = check(utc("2024-05-12T00:30:00"))  # Saturday 20:30 local
    assert saturday_night.next_allowed_at == utc("2024-05-13T12:00:00")  # Monday 08:00
    sunday = check(utc("2024-05-12T14:00:00"))  # Sunday 10:00 local
    assert sunday.codes == [Block.CLOSED_DAY]
    assert sunday.reasons == [
        "No contact on Sundays in the borrower's time zone (America/Port_of_Spain, where it "
        "is 10:00 on Sunday 2024-05-12)."
    ]
    assert sunday.next_allowed_at == utc("2024-05-13T12:00:00")


def test_the_same_instant_is_allowed_in_port_of_spain_and_early_in_new_york() -> None:
    instant = utc("2024-01-08T12:30:00")  # Monday: 08:30 in Port of Spain, 07:30 in New York
    assert check(instant, POS).allowed
    new_york = check(instant, NEW_YORK)
    assert not new_york.allowed
    assert new_york.reasons == [
        "It is 07:30 on Monday 2024-01-08 in the borrower's time zone (America/New_York); "
        "contact is allowed 08:00–20:00 there."
    ]
    assert new_york.next_allowed_at == utc("2024-01-08T13:00:00")  # 08:00 EST


def test_evening_differs_by_time_zone_too() -> None:
    instant = utc("2024-01-09T00:30:00")  # 20:30 Monday in Port of Spain, 19:30 in New York
    assert not check(instant, POS).allowed
    assert check(instant, NEW_YORK).allowed


def test_new_york_spring_forward_moves_the_opening_an_hour_earlier_in_utc() -> None:
    friday = check(utc("2024-03-08T12:30:00"), NEW_YORK)  # 07:30 EST
    assert friday.next_allowed_at == utc("2024-03-08T13:00:00")
    # Saturday 20:30 EST; clocks go forward on Sunday 10 March (closed), Monday is on EDT.
    saturday = check(utc("2024-03-10T01:30:00"), NEW_YORK)
    assert saturday.next_allowed_at == utc("2024-03-11T12:00:00")
    assert not check(utc("2024-03-11T11:59:00"), NEW_YORK).allowed  # 07:59 EDT
    assert check(utc("2024-03-11T12:00:00"), NEW_YORK).allowed  # 08:00 EDT


def test_new_york_fall_back_moves_the_opening_an_hour_later_in_utc() -> None:
    saturday = check(utc("2024-11-03T00:00:00"), NEW_YORK)  # Saturday 20:00 EDT
    assert saturday.next_allowed_at == utc("2024-11-04T13:00:00")  # Monday 08:00 EST
    assert not check(utc("2024-11-04T12:59:00"), NEW_YORK).allowed
    assert check(utc("2024-11-04T13:00:00"), NEW_YORK).allowed


def test_on_the_night_of_the_change_the_next_opening_is_hours_of_real_time_away() -> None:
    data = load_profile().model_dump(mode="json")
    data["hours"]["sunday"] = [{"start": "08:00", "end": "20:00"}]
    profile = parse_profile(data)
    night = decide(profile, ContactFacts(time_zone=NEW_YORK), channel=ContactChannel.SMS,
                   purpose=ContactPurpose.COLLECTIONS, actor_kind=ActorKind.HUMAN,
                   at=utc("2024-03-10T06:30:00"))  # 01:30 EST, half an hour before the jump
    assert night.next_allowed_at == utc("2024-03-10T12:00:00")  # 08:00 EDT: 5½ hours later


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a time zone"):
        check(dt.datetime(2024, 5, 6, 12, 0))
