"""Balance, next payment, schedule, making a payment and settling early."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agent.flows import checks
from agent.flows.base import Flow, Slot, Stop
from agent.formatting import day, money
from agent.turn import Turn
from agent.understanding.model import Intent


def _error(turn: Turn, result: dict[str, Any]) -> bool:
    if "error" in result:
        turn.say(str(result["error"]))
        return True
    return False


async def _balance(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("loan_balance")
    if _error(turn, result):
        return
    if not result["loans"]:
        turn.say("You don't have any loans with us right now.")
        return
    for loan in result["loans"]:
        text = (f"Your {loan['product_name']} (loan {loan['loan_id']}): "
                f"{money(loan['total_outstanding'])} outstanding, of which "
                f"{money(loan['principal_outstanding'])} is principal.")
        if loan.get("overdue_amount") and money(loan["overdue_amount"]) != money("0"):
            text += (f" {money(loan['overdue_amount'])} is overdue "
                     f"({loan['days_past_due']} days).")
        turn.say(text)


async def _next_payment(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("next_payment")
    if _error(turn, result):
        return
    if not result.get("due_date"):
        turn.say("There's nothing more to pay on your loan.")
        return
    text = f"Your next payment is {money(result['amount_due'])} on {day(result['due_date'])}."
    if result.get("overdue_amount") and money(result["overdue_amount"]) != money("0"):
        text += f" There is also {money(result['overdue_amount'])} overdue now."
    turn.say(text)


async def _schedule(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("payment_schedule")
    if _error(turn, result):
        return
    rows = result.get("instalments", [])
    if not rows:
        turn.say("There are no payments left on your schedule.")
        return
    lines = [f"- {day(row['due_date'])}: {money(row['amount'])} ({row['status']})"
             for row in rows[:6]]
    more = f"\n…and {len(rows) - 6} more." if len(rows) > 6 else ""
    turn.say("Your upcoming payments:\n" + "\n".join(lines) + more)


BALANCE = Flow(name="balance", intents=frozenset({Intent.BALANCE}), commit=_balance)
NEXT_PAYMENT = Flow(name="next_payment", intents=frozenset({Intent.NEXT_PAYMENT}),
                    commit=_next_payment)
SCHEDULE = Flow(name="schedule", intents=frozenset({Intent.SCHEDULE}), commit=_schedule)


def _recorded(slots: dict[str, Any]) -> bool:
    return slots.get("method") == "recorded"


async def _method(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    return None if value in ("link", "recorded") else "Please say 'link' or 'already paid'."


METHOD = Slot("method", "Would you like a payment link, or are you telling me about a payment "
              "you already made? (say 'link' or 'already paid')", _method)
PAID_AMOUNT = Slot("amount", "How much did you pay?", checks.positive_amount, needed=_recorded)
REFERENCE = Slot("reference", "What is the payment's reference or receipt number?",
                 checks.short_text, needed=_recorded)
PAID_ON = Slot("date", "On what date did you pay?", checks.past_date, needed=_recorded,
               hint="paid_date")


async def _confirm_payment(turn: Turn, slots: dict[str, Any]) -> str:
    if _recorded(slots):
        return (f"You paid {money(slots['amount'])} on {day(slots['date'])}, reference "
                f"{slots['reference']}. Shall I record that for our team to match? (yes/no)")
    if slots.get("amount"):
        return f"Shall I send you a payment link for {money(slots['amount'])}? (yes/no)"
    due = await turn.call_once("next_payment")
    if "error" in due:
        raise Stop(str(due["error"]))
    overdue = Decimal(due.get("overdue_amount") or "0")
    if overdue > 0:
        slots["amount"] = str(overdue)
        return (f"Shall I send you a payment link for {money(overdue)}, the amount overdue "
                "now? (yes/no)")
    if not due.get("due_date"):
        raise Stop("There's nothing to pay on your loan right now.")
    slots["amount"] = due["amount_due"]
    return (f"Shall I send you a payment link for {money(due['amount_due'])}, your next "
            "payment? (yes/no)")


async def _pay(turn: Turn, slots: dict[str, Any]) -> None:
    if _recorded(slots):
        result = await turn.call("report_payment", amount=str(slots["amount"]),
                                 reference=str(slots["reference"]), paid_on=slots["date"])
        if not _error(turn, result):
            turn.say("Thanks, I've recorded it. We'll match it to your loan when the money "
                     "arrives, usually within two working days.")
        return
    amount = str(slots["amount"]) if slots.get("amount") else None
    result = await turn.call("create_payment_link", amount=amount)
    if _error(turn, result):
        return
    turn.say(f"Here is your link to pay {money(result['amount'])}: {result['url']}")


MAKE_PAYMENT = Flow(
    name="make_payment", intents=frozenset({Intent.MAKE_PAYMENT}), commit=_pay,
    slots=(METHOD, PAID_AMOUNT, REFERENCE, PAID_ON), confirm=_confirm_payment,
    subject="your payment",
)


async def _confirm_settlement(turn: Turn, slots: dict[str, Any]) -> str:
    quote = await turn.call_once("settlement_quote")
    if "error" in quote:
        raise Stop(str(quote["error"]))
    return (f"To pay off loan {quote['loan_id']} in full today you'd pay "
            f"{money(quote['payoff_amount'])} (valid until {day(quote['valid_until'])}). "
            "Shall I send you a payment link for that? (yes/no)")


async def _settle(turn: Turn, slots: dict[str, Any]) -> None:
    quote = await turn.call_once("settlement_quote")
    result = await turn.call("create_payment_link", amount=str(quote["payoff_amount"]),
                             loan_id=quote["loan_id"])
    if not _error(turn, result):
        turn.say(f"Here is your link to pay {money(result['amount'])} and close the loan: "
                 f"{result['url']}")


SETTLEMENT = Flow(
    name="settlement", intents=frozenset({Intent.SETTLEMENT}), commit=_settle,
    confirm=_confirm_settlement, subject="settling your loan",
    declined="No problem. The figure holds until the date I gave you.", deny_ends=True,
)
