"""Going back to what the borrower was doing after a digression, a greeting or a question."""

from __future__ import annotations

from agent.flows.base import reask_current
from agent.flows.registry import FLOWS
from agent.nodes.understand import VERIFYING
from agent.state import ConversationState
from agent.turn import Turn

REASK = {
    "code_sent": "When you're ready, type the 6-digit code I sent you.",
    "awaiting_phone": "When you're ready, tell me the mobile number registered with us.",
    "awaiting_dob": "When you're ready, tell me your date of birth.",
    "awaiting_id": "When you're ready, say or key in the last 4 digits of your ID number.",
}


def back_to_task(turn: Turn, state: ConversationState) -> None:
    """Ask again whatever the conversation was waiting for: verification first, then the task."""
    status = state.get("verification", {"status": "none"})["status"]
    if status in VERIFYING:
        turn.say(REASK[status])
        return
    flow = state.get("flow")
    if flow is not None:
        turn.say(f"Now, back to {FLOWS[flow['name']].subject}.")
        reask_current(turn, FLOWS[flow["name"]], flow)
