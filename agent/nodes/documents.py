"""Files sent with a message: added to the verified borrower's open application.

Runs before the message's words are acted on, so "here's my payslip" with a photo both files
the photo and carries on with whatever else was asked. A borrower who has not verified is
told how to, since documents only ever go to the application of the person we know.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.state import ConversationState
from agent.turn import Turn

NOT_VERIFIED = ("Thank you for the {what}. I can add documents to an application only once "
                "I've confirmed it's you: say 'my application' and I'll check, then send "
                "{them} again.")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def acknowledgement(result: dict[str, Any]) -> list[str]:
    """What to tell the borrower about the files `attach_documents` took and refused."""
    if "error" in result:
        return [result["error"]]
    said: list[str] = []
    attached = [item["filename"] for item in result["attached"]]
    if attached:
        said.append(f"Thank you. I've added {_listed(attached)} to application "
                    f"{result['reference']}. Our team reviews every document and will be in "
                    "touch if anything else is needed.")
    said.extend(f"I couldn't add {item['filename']}: {item['reason']}"
                for item in result["refused"])
    return said


async def documents(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    names = state.get("attachments", [])
    if turn.customer_id is None:
        one = len(names) == 1
        turn.say(NOT_VERIFIED.format(what="file" if one else "files",
                                     them="it" if one else "them"))
        return turn.update(attachments=[])
    for text in acknowledgement(await turn.call("attach_documents",
                                                note=state.get("inbound", ""))):
        turn.say(text)
    return turn.update(attachments=[])
