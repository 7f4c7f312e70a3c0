"""The collections case lifecycle as data: every allowed move and the refusals."""

from __future__ import annotations

import pytest

from core.collections.lifecycle import (
    ACTIVE,
    OPEN,
    TRANSITIONS,
    CaseState,
    can_transition,
    check_transition,
)
from core.errors import InvalidTransition

S = CaseState


def test_the_transitions_table() -> None:
    assert {state: sorted(TRANSITIONS[state]) for state in CaseState} == {
        S.NEW: sorted({S.ASSIGNED, S.DISPUTED}),
        S.ASSIGNED: sorted({S.IN_CONTACT, S.DISPUTED}),
        S.IN_CONTACT: sorted({S.NEGOTIATING, S.DISPUTED}),
        S.NEGOTIATING: sorted({S.PAYMENT_PLAN, S.SETTLED, S.DISPUTED}),
        S.PAYMENT_PLAN: sorted({S.SETTLED, S.NEGOTIATING, S.DISPUTED}),
        S.SETTLED: sorted({S.CLOSED, S.DISPUTED}),
        S.DISPUTED: [S.IN_CONTACT],
        S.CLOSED: [],
    }


@pytest.mark.parametrize("state", sorted(ACTIVE))
def test_every_active_state_can_be_disputed_and_comes_back_in_contact(state: CaseState) -> None:
    assert can_transition(state, S.DISPUTED)
    assert can_transition(S.DISPUTED, S.IN_CONTACT)
    assert not can_transition(S.DISPUTED, state) or state is S.IN_CONTACT


@pytest.mark.parametrize("target", list(CaseState))
def test_closed_is_final(target: CaseState) -> None:
    assert not can_transition(S.CLOSED, target)
    assert S.CLOSED not in OPEN


def test_no_skipping_ahead_and_the_message_says_where_it_can_go() -> None:
    with pytest.raises(InvalidTransition) as raised:
        check_transition("CC-000007", S.NEW, S.NEGOTIATING)
    assert raised.value.message == (
        "Case CC-000007 is new and unassigned; it cannot be moved to negotiation. "
        "From here it can go to: assigned, disputed."
    )
    with pytest.raises(InvalidTransition) as closed:
        check_transition("CC-000007", S.CLOSED, S.IN_CONTACT)
    assert closed.value.message == "Case CC-000007 is closed; it cannot be moved to in contact."
    with pytest.raises(InvalidTransition):
        check_transition("CC-000007", S.IN_CONTACT, S.CLOSED)
    check_transition("CC-000007", S.SETTLED, S.CLOSED)
