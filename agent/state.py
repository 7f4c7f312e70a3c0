"""The conversation's state as the graph checkpoints it.

Everything here is plain JSON (strings, numbers, lists, dicts) so a checkpoint reads the same
on any replica and in any version. Amounts are strings of exact decimals.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Capabilities(TypedDict):
    """What the channel can carry: the agent shapes every reply to fit."""

    max_length: int
    markdown: bool
    speakable: bool


class Reply(TypedDict):
    text: str
    purpose: str  # "reply", or "one_time_code" for a message that carries a code
    contact_point_id: NotRequired[int]  # deliver to this registered contact, not the chat
    streamed: NotRequired[bool]  # already sent to the channel's stream as it was written


class FlowState(TypedDict):
    name: str
    slots: dict[str, Any]
    awaiting: str | None  # the slot asked for, "confirm", or None
    checked: NotRequired[bool]  # every slot value has been through its check once


class Verification(TypedDict):
    status: str  # "none", "code_sent", "verified", "locked"
    method: NotRequired[str]  # "code" or "date_of_birth"
    tries_left: NotRequired[int]


class Escalation(TypedDict):
    reason: str
    detail: str
    since: str
    status: str  # "pending" until the graph hands over, then "waiting"


class ToolCall(TypedDict):
    name: str
    args: dict[str, Any]
    result: dict[str, Any]


class ConversationState(TypedDict, total=False):
    conversation_id: int
    channel: str
    capabilities: Capabilities
    inbound: str
    dtmf: str | None
    attachments: list[str]  # names of the files sent with this message (content: TurnContext)
    understanding: dict[str, Any]
    claimed_customer_id: int | None
    customer_id: int | None
    customer_name: str | None
    verification: Verification
    just_verified: bool
    pending_birth_date: str | None  # voice: held between the two questions, then dropped
    flow: FlowState | None
    suspended: list[FlowState]
    offer: str | None  # "person" after the agent offered to pass the borrower to a person
    misunderstandings: int
    replies: list[Reply]
    last_replies: list[Reply]
    escalation: Escalation | None
    facts: list[str]
    tool_calls: list[ToolCall]
    history: list[dict[str, str]]
    turns: int
