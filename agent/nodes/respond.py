"""Shape the turn's replies for the channel and remember them for 'repeat that'."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.formatting import fit
from agent.state import ConversationState, Reply

HISTORY = 20


async def respond(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    capabilities = state["capabilities"]
    fitted: list[Reply] = []
    for reply in state.get("replies", []):
        if "contact_point_id" in reply:  # a text message to a phone, not this chat
            fitted.append(reply)
            continue
        for part in fit(reply["text"], capabilities):
            fitted.append({"text": part, "purpose": reply["purpose"]})
            if reply.get("streamed"):
                fitted[-1]["streamed"] = True
    history = list(state.get("history", []))
    if state.get("inbound"):
        history.append({"role": "borrower", "text": state["inbound"]})
    history.extend({"role": "agent", "text": reply["text"]} for reply in fitted
                   if reply["purpose"] == "reply")
    update: dict[str, Any] = {"replies": fitted, "history": history[-HISTORY:]}
    if fitted:
        update["last_replies"] = [reply for reply in fitted if reply["purpose"] == "reply"]
    return update
