"""Pre-qualify, apply and application status."""

from __future__ import annotations

from typing import Any

from agent.flows import checks
from agent.flows.base import Flow, Reask, Slot
from agent.formatting import money, percent
from agent.turn import Turn
from agent.understanding.model import Intent

PRODUCT_QUESTION = ("Which loan are you interested in? We offer personal loans, salary "
                    "advances, car loans, debt consolidation, small business loans and hire "
                    "purchase.")


def sentences(reasons: list[str]) -> str:
    """The lender's reasons as sentences, however each was punctuated."""
    cleaned = [reason.strip().rstrip(".;") for reason in reasons if reason.strip()]
    if not cleaned:
        return "It doesn't meet our lending criteria."
    return " ".join(f"{reason[0].upper()}{reason[1:]}." for reason in cleaned)


def _amount_question(slots: dict[str, Any]) -> str:
    return "How much would you like to borrow?"


PRODUCT = Slot("product", PRODUCT_QUESTION, checks.known_product)
AMOUNT = Slot("amount", _amount_question, checks.loan_amount)
TERM = Slot("term_months", "Over how many months would you like to repay?", checks.loan_term)
INCOME = Slot("income", "What is your monthly income (take-home pay)?", checks.monthly_income)
EMPLOYER = Slot("employer", "Who is your employer?", checks.employer_name)


async def _quote(turn: Turn, slots: dict[str, Any]) -> dict[str, Any]:
    quote = await turn.call_once("quote_loan", product=slots["product"],
                                 amount=str(slots["amount"]), term_months=int(slots["term_months"]))
    if "error" in quote:
        raise Reask("amount", quote["error"])
    return quote


def _quote_text(quote: dict[str, Any]) -> str:
    return (f"*{quote['product_name']}*: {money(quote['amount'])} over {quote['term_months']} "
            f"months at {money(quote['instalment'])} a month (APR {percent(quote['apr'])}). "
            f"Total to repay {money(quote['total_repayable'])}, of which "
            f"{money(quote['total_cost_of_credit'])} is the cost of credit.")


async def _prequalify(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("prequalify", monthly_income=str(slots["income"]),
                             amount=str(slots["amount"]), term_months=int(slots["term_months"]),
                             product=slots["product"])
    if "error" in result:
        raise Reask("amount", result["error"])
    if result["eligible"]:
        turn.say(f"Good news: on an income of {money(slots['income'])} you look eligible for "
                 f"{money(slots['amount'])} over {slots['term_months']} months, about "
                 f"{money(result['instalment'])} a month. This is not an approval; say "
                 "'apply' when you're ready and I'll take your application.")
        return
    limit = (f" You could look at up to {money(result['max_amount'])}."
             if result.get("max_amount") else "")
    turn.say(f"It doesn't look like {money(slots['amount'])} would work right now. "
             f"{sentences(result.get('reasons', []))}{limit}")


PREQUALIFY = Flow(
    name="prequalify", intents=frozenset({Intent.PREQUALIFY}), commit=_prequalify,
    slots=(PRODUCT, AMOUNT, TERM, INCOME), verified=False, subject="checking what you qualify for",
)


async def _confirm_application(turn: Turn, slots: dict[str, Any]) -> str:
    quote = await _quote(turn, slots)
    return (f"Here's your application. {_quote_text(quote)} Income {money(slots['income'])} a "
            f"month, employer {slots['employer']}. By saying yes you agree to a credit check "
            "and to our terms and conditions. Shall I submit it? (yes/no)")


async def _submit(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call(
        "submit_application", product=slots["product"], amount=str(slots["amount"]),
        term_months=int(slots["term_months"]), monthly_income=str(slots["income"]),
        employer=str(slots["employer"]), agreed_to_credit_check_and_terms=True,
    )
    if "error" in result:
        turn.say(f"I couldn't submit that: {result['error']}")
        return
    reference = result["reference"]
    decision = result.get("decision")
    if decision == "approved":
        turn.say(f"Good news! Application {reference} is approved for "
                 f"{money(result['amount'])} over {result['term_months']} months at "
                 f"{money(result['instalment'])} a month. Your agreement comes next: you'll "
                 "sign it with a one-time code.")
    elif decision == "counter_offered":
        turn.say(f"We can't offer exactly what you asked for, but application {reference} can "
                 f"go ahead for {money(result['amount'])} over {result['term_months']} months "
                 f"at {money(result['instalment'])} a month. The offer is in your agreement; "
                 "you'll sign it with a one-time code if you accept it.")
    elif decision == "declined":
        turn.say(f"I'm sorry, we can't approve application {reference}. "
                 f"{sentences(result.get('reasons', []))} "
                 "You can ask for a person if you'd like to talk it through.")
        return
    else:
        turn.say(f"Thanks! Application {reference} needs a credit officer to review it.")
        turn.escalate("referred_application", f"Application {reference} was referred.")
        return
    documents = await turn.call("required_documents", product=slots["product"])
    if documents.get("documents"):
        listed = "\n".join(f"- {item}" for item in documents["documents"])
        turn.say(f"Please send these documents here when you can:\n{listed}")


APPLY = Flow(
    name="apply", intents=frozenset({Intent.APPLY}), commit=_submit,
    slots=(PRODUCT, AMOUNT, TERM, INCOME, EMPLOYER), confirm=_confirm_application,
    subject="your application",
)


async def _status(turn: Turn, slots: dict[str, Any]) -> None:
    result = await turn.call("application_status")
    applications = result.get("applications", [])
    if "error" in result or not applications:
        turn.say(result.get("error") or "I can't find any applications from you.")
        return
    lines = [f"- {row['reference']}: {row['product_name']}, {money(row['amount'])} over "
             f"{row['term_months']} months. {row['status_text']}" for row in applications[:5]]
    turn.say("Your applications:\n" + "\n".join(lines))


APPLICATION_STATUS = Flow(
    name="application_status", intents=frozenset({Intent.APPLICATION_STATUS}), commit=_status,
)
