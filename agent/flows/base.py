"""The shape of a flow and the engine that fills its slots.

A flow is data: the slots it needs (each with its question and its check), an optional
confirmation to read back before anything is committed, and the commit itself. The engine
is the same for every flow:

1. take the slot values this message carried (a correction simply overwrites);
2. check each new value; a bad one is dropped and re-asked with the reason;
3. ask for the next missing slot;
4. when all are there, read back the confirmation and wait for yes, no or a correction;
5. on yes (or straight away for a flow with no confirmation), commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.state import FlowState
from agent.turn import Turn
from agent.understanding.model import Intent, Understanding
from agent.understanding.products import find_product

Check = Callable[[Turn, Any, dict[str, Any]], Awaitable[str | None]]
Commit = Callable[[Turn, dict[str, Any]], Awaitable[None]]
Ask = Callable[[dict[str, Any]], str]


async def accept(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    return None


def always(slots: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Slot:
    name: str
    ask: str | Ask
    check: Check = accept
    needed: Callable[[dict[str, Any]], bool] = always
    hint: str | None = None  # what to tell the understander, when not the slot's name

    @property
    def expecting(self) -> str:
        return self.hint or self.name

    def question(self, slots: dict[str, Any]) -> str:
        return self.ask(slots) if callable(self.ask) else self.ask


class Reask(Exception):
    """Raised by a confirmation or commit: drop `slot` and ask for it again, saying why."""

    def __init__(self, slot: str, message: str) -> None:
        super().__init__(message)
        self.slot = slot
        self.message = message


class Stop(Exception):
    """Raised by a confirmation: the flow cannot go on; say `message` and end it."""


@dataclass(frozen=True)
class Flow:
    name: str
    intents: frozenset[Intent]
    commit: Commit
    slots: tuple[Slot, ...] = ()
    confirm: Callable[[Turn, dict[str, Any]], Awaitable[str]] | None = None
    verified: bool = True
    subject: str = "that"
    declined: str = "No problem, I haven't done anything. You can change a detail or say cancel."
    deny_ends: bool = False

    def slot_names(self) -> set[str]:
        return {slot.name for slot in self.slots}


def as_json(value: Any) -> Any:
    """A slot value as flow state keeps it: dates as ISO text, decimals as exact strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def carried_slots(
    flow: Flow, understanding: Understanding, awaiting: str | None, text: str,
) -> dict[str, Any]:
    """The values in this message for this flow's slots.

    A bare amount answers whichever money question was asked ("8000" to "what is your
    monthly income?" is the income), and a free-text question takes the message as said.
    """
    said = {name: as_json(value) for name, value in understanding.slots.filled().items()}
    if awaiting == "income" and "amount" in said and "income" not in said:
        said["income"] = said.pop("amount")
    if awaiting == "product" and "product" not in said:
        product = find_product(text)
        if product:
            said["product"] = product
    if awaiting in FREE_TEXT and understanding.intent is not Intent.CORRECTION:
        # The answer to "what is the reference?" is the reference, digits and all.
        said = {awaiting: said.get(awaiting) or text.strip()[:1000]}
    return {name: value for name, value in said.items()
            if name in flow.slot_names() and value not in (None, "")}


FREE_TEXT = frozenset({"detail", "employer", "reference", "email", "phone"})


async def advance(
    turn: Turn, flow: Flow, current: FlowState, understanding: Understanding, text: str,
) -> FlowState | None:
    """One step of `flow`; the flow's new state, or None when it has finished."""
    slots = dict(current["slots"])
    awaiting = current["awaiting"]
    incoming = carried_slots(flow, understanding, awaiting, text)
    if understanding.intent is Intent.CORRECTION and incoming and slots:
        turn.say("Got it, I've changed that.")
    slots.update(incoming)
    problems: list[str] = []
    for slot in flow.slots:
        # Every value is checked, however it arrived: in this message, or carried in from
        # the request that started the flow (before verification, say).
        if slots.get(slot.name) not in (None, "") and (slot.name in incoming
                                                      or not current.get("checked")):
            problem = await slot.check(turn, slots[slot.name], slots)
            if problem:
                problems.append(problem)
                slots[slot.name] = None
                incoming.pop(slot.name, None)
    changed = bool(incoming)

    if awaiting == "confirm" and not problems and not changed:
        if understanding.intent is Intent.AFFIRM:
            return await _commit(turn, flow, slots)
        if understanding.intent is Intent.DENY:
            turn.say(flow.declined)
            if flow.deny_ends:
                return None
            return {"name": flow.name, "slots": slots, "awaiting": "confirm", "checked": True}
    for problem in problems:
        turn.say(problem)
    return await _next(turn, flow, slots)


async def _next(turn: Turn, flow: Flow, slots: dict[str, Any]) -> FlowState | None:
    for slot in flow.slots:
        if slot.needed(slots) and slots.get(slot.name) in (None, ""):
            turn.say(slot.question(slots))
            return {"name": flow.name, "slots": slots, "awaiting": slot.name, "checked": True}
    if flow.confirm is None:
        return await _commit(turn, flow, slots)
    try:
        question = await flow.confirm(turn, slots)
    except Reask as reask:
        return _reask(turn, flow, slots, reask)
    except Stop as stop:
        turn.say(str(stop))
        return None
    turn.say(question)
    return {"name": flow.name, "slots": slots, "awaiting": "confirm", "checked": True}


async def _commit(turn: Turn, flow: Flow, slots: dict[str, Any]) -> FlowState | None:
    try:
        await flow.commit(turn, slots)
    except Reask as reask:
        return _reask(turn, flow, slots, reask)
    return None


def _reask(turn: Turn, flow: Flow, slots: dict[str, Any], reask: Reask) -> FlowState:
    slots = {**slots, reask.slot: None}
    turn.say(reask.message)
    slot = next(s for s in flow.slots if s.name == reask.slot)
    turn.say(slot.question(slots))
    return {"name": flow.name, "slots": slots, "awaiting": slot.name, "checked": True}


def reask_current(turn: Turn, flow: Flow, current: FlowState) -> None:
    """Ask again whatever the flow is waiting for (after a digression or a 'repeat')."""
    awaiting = current["awaiting"]
    if awaiting == "confirm":
        turn.say("Shall I go ahead? Please answer yes or no.")
        return
    for slot in flow.slots:
        if slot.name == awaiting:
            turn.say(slot.question(current["slots"]))
            return
