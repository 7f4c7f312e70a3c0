"""Hand the conversation to a person, and take it back when they resolve it.

`escalate` records the escalation (idempotently: it may run again) and tells the borrower a
person will reply. `handoff` then pauses the graph with `interrupt()`; a staff member's
resolution resumes it with `Command(resume={...})` and the agent carries on.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.context import TurnContext
from agent.nodes.routing import ESCALATE_NOW
from agent.state import ConversationState
from agent.turn import Turn
from agent.understanding.model import Intent
from core.conversations.escalations import open_escalation
from core.conversations.models import EscalationReason

NOTICE = {
    "requested": "Of course. I've asked a member of our team to take over; they'll reply here "
                 "as soon as they can.",
    "complaint": "I'm sorry about this. I've passed your complaint to a member of our team, "
                 "who will reply here.",
    "abuse": "I want to help, but I can't continue like this. A member of our team will "
             "review this conversation and reply here.",
    "misunderstood": "A member of our team will take over and reply here shortly.",
    "verification_locked": "A member of our team will contact you to confirm your identity.",
}
DEFAULT_NOTICE = "A member of our team will reply here as soon as they can."


async def escalate(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    requested = state.get("escalation")
    if requested is None or requested["status"] != "requested":
        intent = Intent(state["understanding"]["intent"])
        reason = ESCALATE_NOW.get(intent, "requested")
        detail = state.get("inbound", "")[:500]
        since = runtime.context.now.isoformat()
    else:
        reason, detail, since = requested["reason"], requested["detail"], requested["since"]
    await open_escalation(
        runtime.context.session, conversation_id=state["conversation_id"],
        reason=EscalationReason(reason), detail=detail, now=runtime.context.now,
    )
    turn.say(NOTICE.get(reason, DEFAULT_NOTICE))
    return turn.update(escalation={"reason": reason, "detail": detail, "since": since,
                                   "status": "waiting"})


async def handoff(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Wait for a person. Nothing before `interrupt()` has side effects: this re-runs on resume."""
    resolution: dict[str, Any] = interrupt({
        "conversation_id": state["conversation_id"], "escalation": state.get("escalation"),
    })
    turn = Turn({**state, "replies": [], "tool_calls": [], "facts": []}, runtime)
    if resolution.get("action") == "hand_back":
        note = resolution.get("message")
        turn.say(note or "Thanks for waiting. I'm back with you; is there anything else I can "
                 "help with?")
    return turn.update(escalation=None, flow=None, suspended=[], misunderstandings=0,
                       offer=None, inbound="")
