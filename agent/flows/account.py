"""Contact details and marketing preferences."""

from __future__ import annotations

from typing import Any

from agent.flows import checks
from agent.flows.base import Flow, Slot
from agent.turn import Turn
from agent.understanding.model import Intent


def _no_phone(slots: dict[str, Any]) -> bool:
    return not slots.get("phone")


EMAIL = Slot("email", "What's the new email address? (Or tell me a new phone number.)",
             checks.email_address, needed=_no_phone)
PHONE = Slot("phone", "", checks.phone_number, needed=lambda slots: False)


async def _confirm_contact(turn: Turn, slots: dict[str, Any]) -> str:
    changes = [f"{name} to {slots[name]}" for name in ("email", "phone") if slots.get(name)]
    return f"Shall I change your {' and '.join(changes)}? (yes/no)"


async def _update_contact(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("update_contact_details", email=slots.get("email"),
                             phone=slots.get("phone"))
    if "error" in result:
        turn.say(f"I couldn't change that: {result['error']}")
        return
    turn.say("Done, your contact details are updated.")


UPDATE_CONTACT = Flow(
    name="update_contact", intents=frozenset({Intent.UPDATE_CONTACT}), commit=_update_contact,
    slots=(EMAIL, PHONE), confirm=_confirm_contact, subject="updating your details",
)


async def _opt_out(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("opt_out_marketing")
    if "error" in result:
        turn.say(str(result["error"]))
        return
    turn.say("Done: you won't get offers or promotions from us any more. We'll still message "
             "you about your account.")


# Opting out is done at once, without a confirmation: asking "are you sure?" before honouring
# an opt-out is the kind of friction regulators and borrowers rightly dislike.
OPT_OUT = Flow(name="opt_out", intents=frozenset({Intent.OPT_OUT}), commit=_opt_out)
