"""The collections case lifecycle as data: states, allowed moves and their wording.

    NEW → ASSIGNED → IN_CONTACT → NEGOTIATING → PAYMENT_PLAN → SETTLED → CLOSED
    NEGOTIATING → SETTLED          (a lump-sum settlement needs no plan)
    PAYMENT_PLAN → NEGOTIATING     (a broken plan goes back to negotiation)
    any active state → DISPUTED → IN_CONTACT

Staff move cases along `TRANSITIONS`; CLOSED is reached by staff only from SETTLED. The
delinquency run closes a case from any open state when its loan is cured, paid off, settled
or cancelled (`SYSTEM_CLOSABLE`). CLOSED is final: a loan that falls behind again gets a
new case.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from core.errors import InvalidTransition


class CaseState(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_CONTACT = "in_contact"
    NEGOTIATING = "negotiating"
    PAYMENT_PLAN = "payment_plan"
    SETTLED = "settled"
    DISPUTED = "disputed"
    CLOSED = "closed"


class CloseReason(StrEnum):
    CURED = "cured"
    """Nothing is past due any more."""
    PAID_OFF = "paid_off"
    SETTLED = "settled"
    CANCELLED = "cancelled"
    """The loan's disbursement was reversed."""


ACTIVE: Final = frozenset({CaseState.NEW, CaseState.ASSIGNED, CaseState.IN_CONTACT,
                           CaseState.NEGOTIATING, CaseState.PAYMENT_PLAN, CaseState.SETTLED})
"""States a dispute can interrupt."""
OPEN: Final = ACTIVE | {CaseState.DISPUTED}
SYSTEM_CLOSABLE: Final = OPEN

_FORWARD: Mapping[CaseState, frozenset[CaseState]] = {
    CaseState.NEW: frozenset({CaseState.ASSIGNED}),
    CaseState.ASSIGNED: frozenset({CaseState.IN_CONTACT}),
    CaseState.IN_CONTACT: frozenset({CaseState.NEGOTIATING}),
    CaseState.NEGOTIATING: frozenset({CaseState.PAYMENT_PLAN, CaseState.SETTLED}),
    CaseState.PAYMENT_PLAN: frozenset({CaseState.SETTLED, CaseState.NEGOTIATING}),
    CaseState.SETTLED: frozenset({CaseState.CLOSED}),
    CaseState.DISPUTED: frozenset({CaseState.IN_CONTACT}),
}
TRANSITIONS: Final[Mapping[CaseState, frozenset[CaseState]]] = {
    state: _FORWARD.get(state, frozenset())
    | (frozenset({CaseState.DISPUTED}) if state in ACTIVE else frozenset())
    for state in CaseState
}
"""Every state and the states staff may move a case to."""

_STATE_WORDS: Final[Mapping[CaseState, str]] = {
    CaseState.NEW: "is new and unassigned",
    CaseState.ASSIGNED: "is assigned and not yet in contact",
    CaseState.IN_CONTACT: "is in contact with the borrower",
    CaseState.NEGOTIATING: "is in negotiation",
    CaseState.PAYMENT_PLAN: "is on a payment plan",
    CaseState.SETTLED: "is settled",
    CaseState.DISPUTED: "is disputed",
    CaseState.CLOSED: "is closed",
}
_VERBS: Final[Mapping[CaseState, str]] = {
    CaseState.NEW: "made new again",
    CaseState.ASSIGNED: "assigned",
    CaseState.IN_CONTACT: "moved to in contact",
    CaseState.NEGOTIATING: "moved to negotiation",
    CaseState.PAYMENT_PLAN: "put on a payment plan",
    CaseState.SETTLED: "marked settled",
    CaseState.DISPUTED: "disputed",
    CaseState.CLOSED: "closed",
}


def describe(state: CaseState) -> str:
    """The state as the end of a sentence: "is in negotiation"."""
    return _STATE_WORDS[state]


def can_transition(current: CaseState, target: CaseState) -> bool:
    """Whether staff may move a case from `current` to `target`."""
    return target in TRANSITIONS[current]


def check_transition(reference: str, current: CaseState, target: CaseState) -> None:
    """Raise InvalidTransition, worded for staff, unless the move is allowed."""
    if not can_transition(current, target):
        allowed = sorted(s.value for s in TRANSITIONS[current])
        hint = f" From here it can go to: {', '.join(allowed)}." if allowed else ""
        raise InvalidTransition(
            f"Case {reference} {describe(current)}; it cannot be {_VERBS[target]}.{hint}"
        )
