"""The application lifecycle as data: statuses, allowed transitions and their wording.

    DRAFT → SUBMITTED → APPROVED | DECLINED | REFERRED | COUNTER_OFFERED
    REFERRED → APPROVED | DECLINED | COUNTER_OFFERED
    APPROVED | COUNTER_OFFERED → ACCEPTED → CONTRACT_SIGNED → DISBURSED
    any open status → WITHDRAWN | EXPIRED

DECLINED, DISBURSED, WITHDRAWN and EXPIRED are final: nothing leaves them on the normal
paths (`check_transition`). The one exception is `OVERRIDE_TRANSITIONS`: an automatic
decline overridden to APPROVED or COUNTER_OFFERED once a second staff member approves the
override (`core.applications.overrides.approve_override`, the only caller of
`check_override_transition`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from core.errors import InvalidTransition

__all__ = ["DECISIONS", "FINAL", "OPEN", "OVERRIDE_TRANSITIONS", "TIMESTAMP_FIELD",
           "TRANSITIONS", "Status", "can_transition", "check_override_transition",
           "check_transition", "describe"]


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REFERRED = "referred"
    APPROVED = "approved"
    COUNTER_OFFERED = "counter_offered"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    CONTRACT_SIGNED = "contract_signed"
    DISBURSED = "disbursed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


FINAL: Final = frozenset({Status.DECLINED, Status.DISBURSED, Status.WITHDRAWN, Status.EXPIRED})
OPEN: Final = frozenset(Status) - FINAL
DECISIONS: Final = frozenset(
    {Status.APPROVED, Status.DECLINED, Status.REFERRED, Status.COUNTER_OFFERED}
)
"""The outcomes a credit decision can record."""

_FORWARD: Mapping[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: DECISIONS,
    Status.REFERRED: DECISIONS - {Status.REFERRED},
    Status.APPROVED: frozenset({Status.ACCEPTED}),
    Status.COUNTER_OFFERED: frozenset({Status.ACCEPTED}),
    Status.ACCEPTED: frozenset({Status.CONTRACT_SIGNED}),
    Status.CONTRACT_SIGNED: frozenset({Status.DISBURSED}),
}
TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    status: _FORWARD.get(status, frozenset())
    | (frozenset({Status.WITHDRAWN, Status.EXPIRED}) if status in OPEN else frozenset())
    for status in Status
}
"""Every status and the statuses it may move to."""

OVERRIDE_TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    Status.DECLINED: frozenset({Status.APPROVED, Status.COUNTER_OFFERED}),
}
"""Moves made only by an approved maker-checker override of the engine's decline; never
allowed by `check_transition`."""

TIMESTAMP_FIELD: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "submitted_at",
    Status.REFERRED: "referred_at",
    Status.APPROVED: "decided_at",
    Status.DECLINED: "decided_at",
    Status.COUNTER_OFFERED: "decided_at",
    Status.ACCEPTED: "accepted_at",
    Status.CONTRACT_SIGNED: "signed_at",
    Status.DISBURSED: "disbursed_at",
    Status.WITHDRAWN: "withdrawn_at",
    Status.EXPIRED: "expired_at",
}
"""The application column stamped when it enters each status (DRAFT: `created_at`)."""

_STATE_WORDS: Final[Mapping[Status, str]] = {
    Status.DRAFT: "is still a draft",
    Status.SUBMITTED: "is submitted and awaiting a decision",
    Status.REFERRED: "is referred for review",
    Status.APPROVED: "is approved",
    Status.COUNTER_OFFERED: "has a counter-offer",
    Status.DECLINED: "is declined",
    Status.ACCEPTED: "is accepted",
    Status.CONTRACT_SIGNED: "has a signed contract",
    Status.DISBURSED: "is disbursed",
    Status.WITHDRAWN: "is withdrawn",
    Status.EXPIRED: "has expired",
}
_VERBS: Final[Mapping[Status, str]] = {
    Status.DRAFT: "returned to draft",
    Status.SUBMITTED: "submitted",
    Status.REFERRED: "referred",
    Status.APPROVED: "approved",
    Status.COUNTER_OFFERED: "given a counter-offer",
    Status.DECLINED: "declined",
    Status.ACCEPTED: "accepted",
    Status.CONTRACT_SIGNED: "signed",
    Status.DISBURSED: "disbursed",
    Status.WITHDRAWN: "withdrawn",
    Status.EXPIRED: "expired",
}


def describe(status: Status) -> str:
    """The status as the end of a sentence: "is declined", "has expired"."""
    return _STATE_WORDS[status]


def can_transition(current: Status, target: Status) -> bool:
    """Whether the lifecycle allows moving from `current` to `target`."""
    return target in TRANSITIONS[current]


def check_transition(reference: str, current: Status, target: Status) -> None:
    """Raise InvalidTransition, worded for staff and borrowers, unless the move is allowed."""
    if not can_transition(current, target):
        raise InvalidTransition(
            f"Application {reference} {describe(current)}; "
            f"it cannot be {_VERBS[target]}."
        )


def check_override_transition(reference: str, current: Status, target: Status) -> None:
    """Raise InvalidTransition unless `OVERRIDE_TRANSITIONS` allows the move."""
    if target not in OVERRIDE_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(
            f"Application {reference} {describe(current)}; an override can only turn a "
            "decline into an approval or a counter-offer."
        )
