"""Where each turn goes after understanding, and after each node. Pure functions of state."""

from __future__ import annotations

from agent.flows.base import FREE_TEXT
from agent.flows.registry import FLOW_FOR_INTENT, FLOWS
from agent.nodes.understand import VERIFYING
from agent.state import ConversationState
from agent.understanding.model import Intent

UNSURE = 0.5
ESCALATE_NOW = {Intent.HUMAN: "requested", Intent.COMPLAINT: "complaint", Intent.ABUSE: "abuse"}
REPAIR = {Intent.CANCEL, Intent.REPEAT, Intent.START_OVER}
CHITCHAT = {Intent.GREET, Intent.THANKS, Intent.GOODBYE}
ANSWERS = {Intent.INFORM, Intent.AFFIRM, Intent.DENY, Intent.CORRECTION}
VERIFICATION = {Intent.PROVIDE_CODE, Intent.RESEND_CODE}


def _verified(state: ConversationState) -> bool:
    return state.get("customer_id") is not None


def after_understanding(state: ConversationState) -> str:
    if state.get("attachments"):
        return "documents"
    understanding = state["understanding"]
    intent = Intent(understanding["intent"])
    sure = understanding["confidence"] >= UNSURE and intent is not Intent.UNKNOWN
    flow = state.get("flow")
    verifying = state.get("verification", {"status": "none"})["status"] in VERIFYING
    if intent in ESCALATE_NOW and sure:
        return "escalate"
    if intent in REPAIR:
        return "repair"
    if flow is not None and flow["awaiting"] in FREE_TEXT and not verifying:
        # A free-text answer ("the payment came out twice") is the answer, whatever it sounds
        # like: only repair and a clear request for a person interrupt it.
        return "dialogue"
    if state.get("offer") and intent in {Intent.AFFIRM, Intent.DENY}:
        return "repair"
    if intent is Intent.QUESTION:
        return "question"
    if verifying and intent not in CHITCHAT:
        # Whatever was said, the verification step answers it: it re-asks when unsure.
        return "verify"
    if intent in VERIFICATION:
        return "verify"
    if not sure:
        return "clarify"
    if intent in CHITCHAT:
        return "chitchat"
    target = FLOW_FOR_INTENT.get(intent)
    if target is None and flow is not None and intent in ANSWERS:
        target = FLOWS[flow["name"]]
    if target is None:
        return "clarify"
    if target.verified and not _verified(state):
        return "verify"
    return "dialogue"


def after_documents(state: ConversationState) -> str:
    """On to the message's words when they ask for something besides the files ("and what's
    my balance?"); words about the files ("here is my payslip") have been answered."""
    understanding = state["understanding"]
    intent = Intent(understanding["intent"])
    if (not state.get("inbound", "").strip() or understanding["confidence"] < UNSURE
            or intent in ANSWERS | VERIFICATION | CHITCHAT | {Intent.UNKNOWN}):
        return "respond"
    return after_understanding(state)


def after_node(state: ConversationState) -> str:
    escalation = state.get("escalation")
    if escalation is not None and escalation["status"] == "requested":
        return "escalate"
    return "respond"


def after_verify(state: ConversationState) -> str:
    """Straight on to the borrower's task once verification has just succeeded."""
    if _verified(state) and state.get("flow") is not None and state.get("just_verified"):
        return "dialogue"
    return after_node(state)


def after_respond(state: ConversationState) -> str:
    escalation = state.get("escalation")
    if escalation is not None and escalation["status"] == "waiting":
        return "handoff"
    return "__end__"
