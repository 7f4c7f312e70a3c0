"""Cancel, repeat, start over, small talk, clarification, and the answer to 'a person?'."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.flows.base import reask_current
from agent.flows.registry import FLOWS
from agent.nodes.resume import back_to_task
from agent.state import ConversationState
from agent.turn import Turn
from agent.understanding.model import Intent

MENU = ("I can check your balance and next payment, send a payment link, take a promise to "
        "pay, help you apply or pre-qualify for a loan, update your contact details, or "
        "answer questions about our products and policies.")
MAX_MISUNDERSTANDINGS = 2


async def repair(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    intent = Intent(state["understanding"]["intent"])
    flow = state.get("flow")
    if state.get("offer") == "person" and intent in {Intent.AFFIRM, Intent.DENY}:
        if intent is Intent.AFFIRM:
            turn.escalate("requested", "Borrower accepted the offer of a person.")
            return turn.update(offer=None)
        turn.say("No problem. Is there anything else I can help with?")
        return turn.update(offer=None)
    if intent is Intent.REPEAT:
        previous = state.get("last_replies", [])
        if not previous:
            turn.say("I haven't said anything yet. " + MENU)
        for reply in previous:
            turn.say(reply["text"], reply["purpose"])
        return turn.update()
    if intent is Intent.START_OVER:
        turn.say("Sure, let's start again. What can I help you with?")
        return turn.update(flow=None, suspended=[], misunderstandings=0, offer=None)
    if flow is None:
        turn.say("There's nothing to cancel. What can I help you with?")
        return turn.update(offer=None)
    turn.say(f"OK, I've cancelled {FLOWS[flow['name']].subject}. Nothing was submitted.")
    return turn.update(flow=None, suspended=[], offer=None)


async def chitchat(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    intent = Intent(state["understanding"]["intent"])
    name = state.get("customer_name") if state.get("customer_id") else None
    if intent is Intent.GREET:
        hello = f"Hi {name}!" if name else "Hi!"
        turn.say(f"{hello} I'm the {runtime.context.lender_name} assistant. {MENU}")
    elif intent is Intent.THANKS:
        turn.say("You're welcome! Anything else?")
    else:
        turn.say("Thanks for chatting with us. Take care!")
    if intent is not Intent.GOODBYE:
        back_to_task(turn, state)
    return turn.update(misunderstandings=0)


async def clarify(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    count = state.get("misunderstandings", 0) + 1
    if count >= MAX_MISUNDERSTANDINGS:
        turn.say("I'm sorry, I'm not understanding you well.")
        turn.escalate("misunderstood", f"Could not understand: {state.get('inbound', '')}"[:500])
        return turn.update(misunderstandings=0)
    flow = state.get("flow")
    if flow is not None:
        turn.say("Sorry, I didn't catch that.")
        reask_current(turn, FLOWS[flow["name"]], flow)
    else:
        turn.say(f"Sorry, I didn't understand that. {MENU} What would you like to do?")
    return turn.update(misunderstandings=count)
