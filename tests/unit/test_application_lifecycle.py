"""The application lifecycle table: every allowed transition, and refusals worded for people."""

from __future__ import annotations

import pytest

from core.applications.lifecycle import (
    FINAL,
    OPEN,
    TIMESTAMP_FIELD,
    TRANSITIONS,
    Status,
    can_transition,
    check_transition,
)
from core.errors import InvalidTransition

S = Status
ALLOWED = {
    (S.DRAFT, S.SUBMITTED),
    (S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.DECLINED), (S.SUBMITTED, S.REFERRED),
    (S.SUBMITTED, S.COUNTER_OFFERED),
    (S.REFERRED, S.APPROVED), (S.REFERRED, S.DECLINED), (S.REFERRED, S.COUNTER_OFFERED),
    (S.APPROVED, S.ACCEPTED), (S.COUNTER_OFFERED, S.ACCEPTED),
    (S.ACCEPTED, S.CONTRACT_SIGNED), (S.CONTRACT_SIGNED, S.DISBURSED),
    *((status, end) for status in (S.DRAFT, S.SUBMITTED, S.REFERRED, S.APPROVED,
                                   S.COUNTER_OFFERED, S.ACCEPTED, S.CONTRACT_SIGNED)
      for end in (S.WITHDRAWN, S.EXPIRED)),
}


def test_the_table_is_exactly_the_designed_lifecycle() -> None:
    table = {(start, end) for start, ends in TRANSITIONS.items() for end in ends}
    assert table == ALLOWED
    assert len(ALLOWED) == 26


@pytest.mark.parametrize(("start", "end"), sorted(ALLOWED))
def test_every_allowed_transition_passes(start: Status, end: Status) -> None:
    assert can_transition(start, end)
    check_transition("APP-000001", start, end)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (S.DECLINED, S.ACCEPTED, "Application APP-000007 is declined; it cannot be accepted."),
        (S.DRAFT, S.APPROVED, "Application APP-000007 is still a draft; it cannot be approved."),
        (S.SUBMITTED, S.ACCEPTED,
         "Application APP-000007 is submitted and awaiting a decision; it cannot be accepted."),
        (S.APPROVED, S.COUNTER_OFFERED,
         "Application APP-000007 is approved; it cannot be given a counter-offer."),
        (S.REFERRED, S.REFERRED,
         "Application APP-000007 is referred for review; it cannot be referred."),
        (S.ACCEPTED, S.DISBURSED, "Application APP-000007 is accepted; it cannot be disbursed."),
        (S.DISBURSED, S.WITHDRAWN, "Application APP-000007 is disbursed; it cannot be withdrawn."),
        (S.WITHDRAWN, S.EXPIRED, "Application APP-000007 is withdrawn; it cannot be expired."),
        (S.EXPIRED, S.SUBMITTED, "Application APP-000007 has expired; it cannot be submitted."),
        (S.CONTRACT_SIGNED, S.DRAFT,
         "Application APP-000007 has a signed contract; it cannot be returned to draft."),
    ],
)
def test_refused_transitions_say_why(start: Status, end: Status, message: str) -> None:
    assert not can_transition(start, end)
    with pytest.raises(InvalidTransition) as caught:
        check_transition("APP-000007", start, end)
    assert caught.value.message == message


def test_final_statuses_go_nowhere_and_every_other_status_can_be_withdrawn() -> None:
    assert FINAL == {S.DECLINED, S.DISBURSED, S.WITHDRAWN, S.EXPIRED}
    assert all(not TRANSITIONS[status] for status in FINAL)
    assert all({S.WITHDRAWN, S.EXPIRED} <= TRANSITIONS[status] for status in OPEN)
    assert not any(can_transition(status, S.DRAFT) for status in Status)


def test_every_status_but_draft_has_a_timestamp_column() -> None:
    assert set(TIMESTAMP_FIELD) == set(Status) - {S.DRAFT}
