"""Whole messages, with nothing asked: the intent and exactly the slots they carry."""

from __future__ import annotations

import random
import string
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from agent.understanding.model import Intent
from agent.understanding.offline import understand_text

TODAY = date(2026, 11, 18)  # a Wednesday
FRIDAY = date(2026, 11, 20)

CASES: list[tuple[str, Intent, dict[str, Any]]] = [
    # requests, with their slots
    ("I want to borrow 5k for 18 months", Intent.APPLY,
     {"amount": Decimal(5000), "term_months": 18}),
    ("I need TT$5,000 for 2 years", Intent.APPLY, {"amount": Decimal(5000), "term_months": 24}),
    ("Ah want to borrow 10 grand", Intent.APPLY, {"amount": Decimal(10000)}),
    ("I want to borrow five thousand dollars", Intent.APPLY, {"amount": Decimal(5000)}),
    ("I want to borrow half a million for my business", Intent.APPLY,
     {"amount": Decimal(500000), "product": "MICRO_BUSINESS"}),
    ("borrow fifteen hundred", Intent.APPLY, {"amount": Decimal(1500)}),
    ("I want to borrow -5", Intent.APPLY, {"amount": Decimal(-5)}),
    ("hi, I want a loan", Intent.APPLY, {}),
    ("I need a loan", Intent.APPLY, {}),
    ("ah need ah lone", Intent.APPLY, {}),
    ("I want a car loan", Intent.APPLY, {"product": "AUTO"}),
    ("I need money for a car", Intent.APPLY, {"product": "AUTO"}),
    ("can I get a loan for a fridge on hire purchase", Intent.APPLY, {"product": "HP_STANDARD"}),
    ("I need a salary advance till payday", Intent.APPLY, {"product": "SALARY_ADVANCE"}),
    ("I want to consolidate my debts", Intent.APPLY, {"product": "DEBT_CONSOLIDATION"}),
    ("how do I apply", Intent.APPLY, {}),
    ("can I get pre-approved", Intent.PREQUALIFY, {}),
    ("how much can I borrow", Intent.PREQUALIFY, {}),
    ("do I qualify", Intent.PREQUALIFY, {}),
    ("am I eligible for a loan", Intent.PREQUALIFY, {}),
    ("I make 8k a month, how much can I get", Intent.PREQUALIFY, {"income": Decimal(8000)}),
    ("where is my application", Intent.APPLICATION_STATUS, {}),
    ("wha happen wid meh application", Intent.APPLICATION_STATUS, {}),
    ("was I approved?", Intent.APPLICATION_STATUS, {}),
    ("any news on my loan", Intent.APPLICATION_STATUS, {}),
    ("wha de balance is", Intent.BALANCE, {}),
    ("how much I owe", Intent.BALANCE, {}),
    ("how much ah owe", Intent.BALANCE, {}),
    ("what's my balnce", Intent.BALANCE, {}),
    ("good morning, what's my balance", Intent.BALANCE, {}),
    ("balance", Intent.BALANCE, {}),
    ("when is my next payment", Intent.NEXT_PAYMENT, {}),
    ("when I have to pay next", Intent.NEXT_PAYMENT, {}),
    ("how much is my next instalment", Intent.NEXT_PAYMENT, {}),
    ("show me my schedule", Intent.SCHEDULE, {}),
    ("send me my repayment schedule", Intent.SCHEDULE, {}),
    ("send me a payment link", Intent.MAKE_PAYMENT, {"method": "link"}),
    ("send me the link", Intent.MAKE_PAYMENT, {"method": "link"}),
    ("I want to pay 500 now", Intent.MAKE_PAYMENT, {"amount": Decimal(500)}),
    ("I paid at the branch yesterday ref ABC123", Intent.MAKE_PAYMENT,
     {"method": "recorded", "reference": "ABC123", "date": date(2026, 11, 17)}),
    ("I paid 1000 on friday, receipt 77812", Intent.MAKE_PAYMENT,
     {"amount": Decimal(1000), "method": "recorded", "reference": "77812",
      "date": date(2026, 11, 13)}),
    ("I go pay 500 Friday", Intent.PROMISE_TO_PAY, {"amount": Decimal(500), "date": FRIDAY}),
    ("I will pay on the 30th", Intent.PROMISE_TO_PAY, {"date": date(2026, 11, 30)}),
    ("Ah go pay yuh end of the month", Intent.PROMISE_TO_PAY, {"date": date(2026, 11, 30)}),
    ("I go pay when I get paid", Intent.PROMISE_TO_PAY, {}),
    ("I promise to pay 300 on payday", Intent.PROMISE_TO_PAY, {"amount": Decimal(300)}),
    ("I'll pay $1,200 next Friday", Intent.PROMISE_TO_PAY,
     {"amount": Decimal(1200), "date": FRIDAY}),
    ("can I pay next week", Intent.PROMISE_TO_PAY, {}),
    ("I want to settle my loan", Intent.SETTLEMENT, {}),
    ("I want to pay it off early", Intent.SETTLEMENT, {}),
    ("how much to pay off my loan", Intent.SETTLEMENT, {}),
    ("change my email to a@b.com", Intent.UPDATE_CONTACT, {"email": "a@b.com"}),
    ("update my email to John.Doe@Example.com", Intent.UPDATE_CONTACT,
     {"email": "John.Doe@Example.com"}),
    ("my new number is 868-555-0199", Intent.UPDATE_CONTACT, {"phone": "868-555-0199"}),
    ("stop sending me promotions", Intent.OPT_OUT, {}),
    ("STOP", Intent.OPT_OUT, {}),
    ("unsubscribe", Intent.OPT_OUT, {}),
    ("stop calling me", Intent.OPT_OUT, {}),
    ("doh send me no more message", Intent.OPT_OUT, {}),
    # greetings and courtesies
    ("hi", Intent.GREET, {}),
    ("hello", Intent.GREET, {}),
    ("good morning", Intent.GREET, {}),
    ("Good evening", Intent.GREET, {}),
    ("thanks", Intent.THANKS, {}),
    ("thank you so much", Intent.THANKS, {}),
    ("bye", Intent.GOODBYE, {}),
    ("ok bye", Intent.GOODBYE, {}),
    # escalations and repair
    ("talk to a person", Intent.HUMAN, {}),
    ("lemme talk to somebody", Intent.HUMAN, {}),
    ("i want to speak to a real person", Intent.HUMAN, {}),
    ("put me through to an agent", Intent.HUMAN, {}),
    ("agent", Intent.HUMAN, {}),
    ("can someone call me", Intent.HUMAN, {}),
    ("talk to a human", Intent.HUMAN, {}),
    ("I want to talk to an agent", Intent.HUMAN, {}),
    ("start over", Intent.START_OVER, {}),
    ("I want to start again", Intent.START_OVER, {}),
    ("repeat that", Intent.REPEAT, {}),
    ("say again", Intent.REPEAT, {}),
    ("come again", Intent.REPEAT, {}),
    ("sorry what?", Intent.REPEAT, {}),
    ("eh?", Intent.REPEAT, {}),
    ("cancel", Intent.CANCEL, {}),
    ("forget it", Intent.CANCEL, {}),
    ("never mind", Intent.CANCEL, {}),
    ("I changed my mind", Intent.CANCEL, {}),
    ("you are an idiot", Intent.ABUSE, {}),
    ("you're useless", Intent.ABUSE, {}),
    ("f*ck off", Intent.ABUSE, {}),
    ("I want to complain", Intent.COMPLAINT, {}),
    ("I want to make a complaint", Intent.COMPLAINT, {}),
    ("allyuh service real bad", Intent.COMPLAINT, {}),
    ("complaint", Intent.COMPLAINT, {}),
    ("I want to complain, talk to a manager", Intent.COMPLAINT, {}),
    ("I never took this loan", Intent.DISPUTE, {}),
    ("this charge is wrong", Intent.DISPUTE, {}),
    ("my balance is wrong", Intent.DISPUTE, {}),
    ("yuh charge me twice", Intent.DISPUTE, {}),
    ("I lost my job", Intent.HARDSHIP, {}),
    ("I can't afford the payments", Intent.HARDSHIP, {}),
    ("I'm sick", Intent.HARDSHIP, {}),
    ("ah cyah pay dis month, ah lose meh wuk", Intent.HARDSHIP, {}),
    ("my mother in hospital", Intent.HARDSHIP, {}),
    ("retrenched", Intent.HARDSHIP, {}),
    ("I'm going through hardship", Intent.HARDSHIP, {}),
    ("I got laid off, I can only pay 300 next month", Intent.HARDSHIP, {"amount": Decimal(300)}),
    ("I didn't get the code", Intent.RESEND_CODE, {}),
    ("resend", Intent.RESEND_CODE, {}),
    ("the code expired", Intent.RESEND_CODE, {}),
    ("123456", Intent.PROVIDE_CODE, {"code": "123456"}),
    ("my code is 654321", Intent.PROVIDE_CODE, {"code": "654321"}),
    ("actually make it 12 months", Intent.CORRECTION, {"term_months": 12}),
    ("change the amount to 7000", Intent.CORRECTION, {"amount": Decimal(7000)}),
    ("I meant 5k", Intent.CORRECTION, {"amount": Decimal(5000)}),
    ("make it 500 months", Intent.CORRECTION, {"term_months": 500}),
    ("yes", Intent.AFFIRM, {}),
    ("k", Intent.AFFIRM, {}),
    ("no", Intent.DENY, {}),
    ("nah", Intent.DENY, {}),
    # questions carry their own words, normalised for the knowledge base
    ("what documents do I need?", Intent.QUESTION, {"question": "what documents do i need?"}),
    ("what are your hours", Intent.QUESTION, {"question": "what are your hours"}),
    ("wat time allyuh open", Intent.QUESTION, {"question": "what time you open"}),
    ("do you do car loans?", Intent.QUESTION,
     {"question": "do you do car loans?", "product": "AUTO"}),
    ("is there a penalty for paying early?", Intent.QUESTION,
     {"question": "is there a penalty for paying early?"}),
    ("how long does approval take?", Intent.QUESTION,
     {"question": "how long does approval take?"}),
    ("what's the interest rate on a personal loan?", Intent.QUESTION,
     {"question": "what is the interest rate on a personal loan?", "product": "PERSONAL"}),
    ("do i need a guarantor", Intent.QUESTION, {"question": "do i need a guarantor"}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), CASES)
def test_a_message_is_understood_with_its_slots(
    text: str, intent: Intent, slots: dict[str, Any],
) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (intent, slots)
    assert understood.confidence >= 0.5


# Plain requests and questions the similarity examples alone left unsure of (QA's scripts).
CLEAR: list[tuple[str, Intent, dict[str, Any]]] = [
    ("balance pls", Intent.BALANCE, {}),
    ("and the balance?", Intent.BALANCE, {}),
    ("I want to apply for 20000 personal loan over 24 months", Intent.APPLY,
     {"amount": Decimal(20000), "term_months": 24, "product": "PERSONAL"}),
    ("apply for a personal loan", Intent.APPLY, {"product": "PERSONAL"}),
    ("I want to make a promise to pay", Intent.PROMISE_TO_PAY, {}),
    ("the late fee allyuh charge me is wrong", Intent.DISPUTE, {}),
    ("the interest you charged me last month was wrong", Intent.DISPUTE, {}),
    ("I dont want promotions anymore", Intent.OPT_OUT, {}),
    ("I don't want any more offers", Intent.OPT_OUT, {}),
    ("what can you do", Intent.GREET, {}),
    ("what can you help with", Intent.GREET, {}),
    ("help", Intent.GREET, {}),
    ("how can you help me?", Intent.GREET, {}),
    ("who won the cricket last night", Intent.QUESTION,
     {"question": "who won the cricket last night"}),
    ("what is the weather", Intent.QUESTION, {"question": "what is the weather"}),
    ("can I pay off my loan early?", Intent.QUESTION,
     {"question": "can i pay off my loan early?"}),
    ("how can I reach allyuh", Intent.QUESTION, {"question": "how can i reach you"}),
    ("I want to pay off my loan", Intent.SETTLEMENT, {}),
    ("how much to settle my loan", Intent.SETTLEMENT, {}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), CLEAR)
def test_a_clear_request_is_understood_confidently(
    text: str, intent: Intent, slots: dict[str, Any],
) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (intent, slots)
    assert understood.confidence >= 0.6


_STORY = ("Last month I moved house and changed jobs and things have been busy with the "
          "children and school and work, so I did not have time to look at my account. ")
_NEUTRAL = [
    ("I have been a customer for many years and I want to explain my situation in detail "
     "because it is complicated. " * 20)[:1500],
    (_STORY * 10)[:1500],
    ("We went down to Maracas on the weekend with the family and the bake and shark was "
     "nice, then the traffic coming back up the hill was heavy as usual. " * 10)[:1500],
]


@pytest.mark.parametrize("text", _NEUTRAL)
def test_a_long_message_asking_nothing_is_no_escalation(text: str) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert understood.intent not in {Intent.HUMAN, Intent.COMPLAINT, Intent.ABUSE}
    assert understood.confidence < 0.5


def test_a_long_message_opening_with_a_request_is_that_request() -> None:
    text = ("Good day, I want to check my balance please. " + _STORY * 10)[:1500]
    understood = understand_text(text, expecting=None, today=TODAY)
    assert understood.intent == Intent.BALANCE
    assert understood.confidence >= 0.6


@pytest.mark.parametrize(("text", "intent"), [
    ("Good day. " + _STORY * 3 + "What is my balance now?", Intent.BALANCE),
    ("Good day. " + _STORY * 3 + "Please can somebody call me back about it.", Intent.HUMAN),
])
def test_a_request_late_in_a_long_message_is_still_found(text: str, intent: Intent) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert (understood.intent, understood.confidence >= 0.5) == (intent, True)


@pytest.mark.parametrize("text", [
    "", "   ", "🙂", "???", "!!!", "asdfgh", "qwerty", "asdf jkl", "lorem ipsum dolor sit amet",
    "the quick brown fox jumps over the lazy dog", "zzzzzzzz", "...",
])
def test_nonsense_is_unknown_and_unsure(text: str) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert understood.intent == Intent.UNKNOWN
    assert understood.confidence < 0.5
    assert understood.slots.filled() == {}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alphabet", [
    string.ascii_lowercase + "     ", string.printable, string.ascii_letters + "      .,?!",
])
def test_a_long_random_string_is_unknown_and_unsure(seed: int, alphabet: str) -> None:
    chance = random.Random(seed)
    text = "".join(chance.choice(alphabet) for _ in range(1600))
    for expecting in (None, "employer", "amount", "confirm"):
        understood = understand_text(text, expecting=expecting, today=TODAY)
        assert (understood.intent, understood.confidence < 0.5) == (Intent.UNKNOWN, True)


@pytest.mark.parametrize(("text", "amount"), [("5000", Decimal(5000)), ("-5", Decimal(-5))])
def test_a_bare_number_with_nothing_asked_is_an_amount_but_unsure(
    text: str, amount: Decimal,
) -> None:
    understood = understand_text(text, expecting=None, today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (Intent.INFORM, {"amount": amount})
    assert understood.confidence < 0.5


def test_an_unknown_expectation_is_read_as_nothing_asked() -> None:
    assert understand_text("5000", expecting="shoe_size", today=TODAY) == \
        understand_text("5000", expecting=None, today=TODAY)


def test_the_same_message_is_understood_the_same_way_every_time() -> None:
    first = understand_text("I go pay 500 Friday", expecting=None, today=TODAY)
    assert all(understand_text("I go pay 500 Friday", expecting=None, today=TODAY) == first
               for _ in range(3))
