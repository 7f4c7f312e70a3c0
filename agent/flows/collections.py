"""Promise to pay, hardship and disputes: the last two always go to a person."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agent.flows import checks
from agent.flows.base import Commit, Flow, Reask, Slot, Stop
from agent.formatting import day, money
from agent.turn import Turn
from agent.understanding.model import Intent

PROMISE_AMOUNT = Slot("amount", "How much will you pay?", checks.positive_amount)
PROMISE_DATE = Slot("date", "On what date will you pay?", checks.promise_date)


async def _confirm_promise(turn: Turn, slots: dict[str, Any]) -> str:
    balance = await turn.call_once("loan_balance")
    if "error" in balance:
        raise Stop(str(balance["error"]))
    loans = balance.get("loans", [])
    overdue = [loan for loan in loans if Decimal(loan.get("overdue_amount") or "0") > 0]
    if not overdue:
        raise Stop("Your loan is up to date, so there's nothing overdue to promise. Your next "
                   "payment is due as scheduled; ask me for a payment link any time.")
    due = await turn.call_once("next_payment")
    if "error" not in due:
        ceiling = Decimal(due.get("overdue_amount") or "0") + Decimal(due.get("amount_due") or "0")
        if Decimal(str(slots["amount"])) > ceiling:
            raise Reask("amount", f"A promise can be for up to {money(ceiling)}: what you owe "
                        "now plus your next instalment.")
    return (f"So you'll pay {money(slots['amount'])} on {day(slots['date'])}. "
            "Shall I note that as your promise to pay? (yes/no)")


async def _promise(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("promise_to_pay", amount=str(slots["amount"]), date=slots["date"])
    if "error" in result and result.get("kind") == "ValidationError":
        raise Reask("amount", str(result["error"]))
    if "error" in result:
        turn.say(str(result["error"]))
        return
    turn.say(f"Thank you. I've noted your promise to pay {money(result['amount'])} on "
             f"{day(result['date'])}. We'll send a reminder the day before.")


PROMISE_TO_PAY = Flow(
    name="promise_to_pay", intents=frozenset({Intent.PROMISE_TO_PAY}), commit=_promise,
    slots=(PROMISE_AMOUNT, PROMISE_DATE), confirm=_confirm_promise,
    subject="your promise to pay",
)

HARDSHIP_DETAIL = Slot(
    "detail", "I'm sorry things are difficult. In a sentence or two, what has changed "
    "(for example job loss, illness, reduced hours)?", checks.short_text,
)


def _record_then_escalate(tool: str, reason: str, recorded: str) -> Commit:
    """A commit that records the borrower's account with `tool`, then hands over to a person:
    the person is asked for even when recording failed (the reason is then said first)."""

    async def commit(turn: Turn, slots: dict[str, Any]) -> None:
        result = await turn.call(tool, detail=str(slots["detail"]))
        if "error" in result:
            turn.say(f"{result['error']} A member of our team will look at how we can help.")
        else:
            turn.say(recorded)
        turn.escalate(reason, str(slots["detail"]))

    return commit


HARDSHIP = Flow(
    name="hardship", intents=frozenset({Intent.HARDSHIP}), slots=(HARDSHIP_DETAIL,),
    commit=_record_then_escalate(
        "request_hardship", "hardship",
        "Thank you for telling us. I've recorded your request for help, and a member of our "
        "hardship team will look at options such as a payment plan with you."),
    subject="your request for help",
)

DISPUTE_DETAIL = Slot("detail", "I'm sorry about that. What exactly looks wrong?",
                      checks.short_text)

DISPUTE = Flow(
    name="dispute", intents=frozenset({Intent.DISPUTE}), slots=(DISPUTE_DETAIL,),
    commit=_record_then_escalate(
        "raise_dispute", "dispute",
        "I've recorded your dispute. While we look into it we won't chase you for the amount in "
        "question, and a person will reply here."),
    subject="your dispute",
)
