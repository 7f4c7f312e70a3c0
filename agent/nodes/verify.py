"""Identify and verify the borrower before anything about their account is disclosed.

Chat channels: the number the message came from proposes a customer (or the borrower types
the registered number on the web); a one-time code goes to them and must come back within
five minutes, three wrong tries lock it and a person takes over. Voice: date of birth plus
the last digits of the national ID, spoken or keyed in.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.flows.base import as_json
from agent.flows.registry import FLOW_FOR_INTENT
from agent.state import ConversationState, FlowState, Verification
from agent.turn import Turn
from agent.understanding.model import Intent, Understanding

MAX_SPOKEN_TRIES = 3


def _pending_flow(state: ConversationState, understanding: Understanding) -> tuple[
        FlowState | None, list[FlowState]]:
    """The task waiting for verification (the borrower's request, with what it carried)."""
    flow = state.get("flow")
    suspended = list(state.get("suspended", []))
    target = FLOW_FOR_INTENT.get(understanding.intent)
    if target is None or (flow is not None and flow["name"] == target.name):
        return flow, suspended
    if flow is not None:
        suspended.append(flow)
    slots = {name: as_json(value) for name, value in understanding.slots.filled().items()
             if name in target.slot_names()}
    return {"name": target.name, "slots": slots, "awaiting": None}, suspended


async def _send_code(turn: Turn) -> Verification:
    result = await turn.call("send_verification_code")
    if "error" in result:
        turn.say(str(result["error"]))
        return {"status": "none"}
    # Where the chat is not the registered number itself (web chat), the code goes out of
    # band to the registered phone: typing it back proves the borrower holds that phone.
    out_of_band = result.get("channel") != turn.state["channel"]
    turn.say(f"Your {turn.context.lender_name} code is {result['code']}. It expires in 5 "
             "minutes. Never share it: we will never ask for it in a call.",
             purpose="one_time_code",
             contact_point_id=result.get("contact_point_id") if out_of_band else None)
    turn.say(f"To keep your account safe, I've sent a 6-digit code to {result['destination']}. "
             "Please type it here.")
    return {"status": "code_sent", "method": "code"}


async def verify(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    understanding = Understanding.model_validate(state["understanding"])
    flow, suspended = _pending_flow(state, understanding)
    current: Verification = state.get("verification") or {"status": "none"}
    status = current["status"]
    update: dict[str, Any] = {"flow": flow, "suspended": suspended}

    if status == "locked":
        turn.say("Verification is locked on this conversation, so a person will help you.")
        turn.escalate("verification_locked", "Borrower tried again after a lock.")
        return turn.update(**update)
    if status == "none":
        if state["channel"] == "voice":
            turn.say("First I need to confirm who you are. What is your date of birth?")
            return turn.update(**update, verification={"status": "awaiting_dob",
                                                       "method": "date_of_birth",
                                                       "tries_left": MAX_SPOKEN_TRIES})
        if state.get("claimed_customer_id") is None:
            turn.say("First I need to confirm who you are. What mobile number is registered "
                     "with us?")
            return turn.update(**update, verification={"status": "awaiting_phone"})
        return turn.update(**update, verification=await _send_code(turn))
    if status == "awaiting_phone":
        return turn.update(**update, **await _identify_by_phone(turn, understanding))
    if status == "code_sent":
        return turn.update(**update, **await _check_code(turn, understanding))
    if status in ("awaiting_dob", "awaiting_id"):
        return turn.update(**update, **await _check_spoken(turn, understanding, current))
    if understanding.intent in (Intent.PROVIDE_CODE, Intent.RESEND_CODE):
        turn.say("You're already verified, so there's no need for a code.")
    return turn.update(**update, just_verified=state.get("customer_id") is not None)


async def _identify_by_phone(turn: Turn, understanding: Understanding) -> dict[str, Any]:
    phone = understanding.slots.phone
    if not phone:
        turn.say("Please type the mobile number registered with us, e.g. +1 868 555 0101.")
        return {}
    found = await turn.call("find_customer_by_phone", phone=phone)
    if not found.get("found"):
        turn.say("I can't find an account with that number. Please check it, or say "
                 "'talk to a person'.")
        return {}
    turn.claimed_customer_id = found["customer_id"]
    return {"claimed_customer_id": found["customer_id"], "verification": await _send_code(turn)}


async def _check_code(turn: Turn, understanding: Understanding) -> dict[str, Any]:
    if understanding.intent is Intent.RESEND_CODE:
        return {"verification": await _send_code(turn)}
    code = understanding.slots.code
    if not code:
        turn.say("Please type the 6-digit code I sent you, or say 'resend' for a new one.")
        return {}
    result = await turn.call("check_verification_code", code=code)
    outcome = result.get("outcome")
    if result.get("verified"):
        return _verified(turn, result["customer_id"], "code")
    if outcome == "wrong" and result.get("tries_left", 0) > 0:
        tries = result["tries_left"]
        turn.say(f"That code isn't right. You have {tries} {'try' if tries == 1 else 'tries'} "
                 "left.")
        return {}
    if outcome in ("expired", "no_code"):
        turn.say("That code has expired, so here is a new one.")
        return {"verification": await _send_code(turn)}
    return _locked(turn)


async def _check_spoken(
    turn: Turn, understanding: Understanding, current: Verification,
) -> dict[str, Any]:
    slots = understanding.slots
    if current["status"] == "awaiting_dob":
        if slots.date_of_birth is None:
            turn.say("Please tell me your date of birth, for example the 12th of March 1985.")
            return {}
        turn.say("Thank you. Now the last 4 digits of your national ID number. You can key "
                 "them in on your phone.")
        return {"verification": {**current, "status": "awaiting_id"},
                "pending_birth_date": slots.date_of_birth.isoformat()}
    digits = slots.id_digits or slots.code
    if not digits:
        turn.say("Please say or key in the last 4 digits of your national ID number.")
        return {}
    result = await turn.call("verify_date_of_birth",
                             date_of_birth=turn.state.get("pending_birth_date"), id_digits=digits)
    if result.get("verified"):
        return {**_verified(turn, result["customer_id"], "date_of_birth"),
                "pending_birth_date": None}
    tries = current.get("tries_left", MAX_SPOKEN_TRIES) - 1
    if tries <= 0:
        return {**_locked(turn), "pending_birth_date": None}
    turn.say("Those details don't match our records. Let's try again: what is your date of "
             "birth?")
    return {"verification": {"status": "awaiting_dob", "method": "date_of_birth",
                             "tries_left": tries}, "pending_birth_date": None}


def _verified(turn: Turn, customer_id: int, method: str) -> dict[str, Any]:
    turn.say("Thank you, you're verified.")
    return {"customer_id": customer_id, "just_verified": True,
            "verification": {"status": "verified", "method": method}}


def _locked(turn: Turn) -> dict[str, Any]:
    turn.say("That's too many tries, so I've locked verification to protect your account. "
             "A member of our team will help you.")
    turn.escalate("verification_locked", "Three failed verification attempts.")
    return {"verification": {"status": "locked"}}
