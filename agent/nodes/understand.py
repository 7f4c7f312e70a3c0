"""Start a turn and understand the message."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.flows.registry import FLOWS
from agent.state import ConversationState

VERIFYING = {"awaiting_phone": "phone", "code_sent": "code", "awaiting_dob": "date_of_birth",
             "awaiting_id": "id_digits"}


def expecting(state: ConversationState) -> str | None:
    """What the agent last asked for, which tells the understander how to read a bare answer."""
    verification = state.get("verification", {"status": "none"})
    if verification["status"] in VERIFYING:
        return VERIFYING[verification["status"]]
    flow = state.get("flow")
    if flow is not None:
        awaiting = flow["awaiting"]
        slot = next((slot for slot in FLOWS[flow["name"]].slots if slot.name == awaiting), None)
        return slot.expecting if slot is not None else awaiting
    if state.get("offer") == "person":
        return "confirm"
    return None


async def understand(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Reset the turn's outputs and classify the message."""
    context = runtime.context
    text = state.get("inbound", "")
    dtmf = state.get("dtmf")
    said = text if text.strip() else (dtmf or "")
    understanding = await context.understander.understand(
        said, expecting=expecting(state), today=context.today,
    )
    return {
        "understanding": understanding.model_dump(mode="json"),
        "replies": [], "tool_calls": [], "facts": [said], "just_verified": False,
        "turns": state.get("turns", 0) + 1,
    }
