"""Run the borrower's task: start it, fill it, or step aside into another and come back."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.flows.base import FREE_TEXT, advance, reask_current
from agent.flows.registry import FLOW_FOR_INTENT, FLOWS
from agent.state import ConversationState, FlowState
from agent.turn import Turn
from agent.understanding.model import Understanding


def resume_suspended(turn: Turn, suspended: list[FlowState]) -> FlowState | None:
    """Go back to the task that a digression interrupted, asking its question again."""
    if not suspended or turn.escalation is not None:
        return None
    resumed = suspended.pop()
    flow = FLOWS[resumed["name"]]
    turn.say(f"Now, back to {flow.subject}.")
    reask_current(turn, flow, resumed)
    return resumed


async def dialogue(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    understanding = Understanding.model_validate(state["understanding"])
    current = state.get("flow")
    suspended = list(state.get("suspended", []))
    target = FLOW_FOR_INTENT.get(understanding.intent)
    if current is not None and current["awaiting"] in FREE_TEXT:
        target = None  # the message is the free-text answer, not a new request
    if current is not None and target is not None and target.name != current["name"]:
        suspended.append(current)
        current = None
    if current is None:
        assert target is not None, "routing sends only flow intents without an active flow"
        current = {"name": target.name, "slots": {}, "awaiting": None}
    flow = FLOWS[current["name"]]
    after = await advance(turn, flow, current, understanding, state.get("inbound", ""))
    if after is None:
        after = resume_suspended(turn, suspended)
    return turn.update(flow=after, suspended=suspended, misunderstandings=0, offer=None)
