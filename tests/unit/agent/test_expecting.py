"""What the agent just asked decides how a bare answer is read, but never hides a digression."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from agent.understanding.model import Intent
from agent.understanding.offline import EXPECTABLE, OfflineUnderstander, understand_text

TODAY = date(2026, 11, 18)  # a Wednesday

ANSWERS: list[tuple[str, str, Intent, dict[str, Any]]] = [
    ("amount", "5000", Intent.INFORM, {"amount": Decimal(5000)}),
    ("amount", "5k", Intent.INFORM, {"amount": Decimal(5000)}),
    ("amount", "TT$7,500.50", Intent.INFORM, {"amount": Decimal("7500.50")}),
    ("amount", "fifteen hundred", Intent.INFORM, {"amount": Decimal(1500)}),
    ("amount", "-5", Intent.INFORM, {"amount": Decimal(-5)}),
    ("amount", "I want 5000", Intent.INFORM, {"amount": Decimal(5000)}),
    ("amount", "150000", Intent.INFORM, {"amount": Decimal(150000)}),
    ("amount", "5k over 18 months", Intent.INFORM,
     {"amount": Decimal(5000), "term_months": 18}),
    ("amount", "5000?", Intent.INFORM, {"amount": Decimal(5000)}),
    ("amount", "18 months", Intent.INFORM, {"term_months": 18}),
    ("term_months", "18", Intent.INFORM, {"term_months": 18}),
    ("term_months", "18 months", Intent.INFORM, {"term_months": 18}),
    ("term_months", "2 years", Intent.INFORM, {"term_months": 24}),
    ("term_months", "a year and a half", Intent.INFORM, {"term_months": 18}),
    ("term_months", "500", Intent.INFORM, {"term_months": 500}),
    ("term_months", "18 please", Intent.INFORM, {"term_months": 18}),
    ("term_months", "5k", Intent.INFORM, {"amount": Decimal(5000)}),
    ("income", "I make 8k a month", Intent.INFORM, {"income": Decimal(8000)}),
    ("income", "8k", Intent.INFORM, {"income": Decimal(8000)}),
    ("income", "8000", Intent.INFORM, {"income": Decimal(8000)}),
    ("income", "2000 a week", Intent.INFORM, {"income": Decimal("8666.67")}),
    ("income", "4000 fortnightly", Intent.INFORM, {"income": Decimal("8666.67")}),
    ("income", "96k a year", Intent.INFORM, {"income": Decimal(8000)}),
    ("product", "personal loan", Intent.INFORM, {"product": "PERSONAL"}),
    ("product", "car loan", Intent.INFORM, {"product": "AUTO"}),
    ("product", "hire purchase for a fridge", Intent.INFORM, {"product": "HP_STANDARD"}),
    ("product", "the interest free one for a stove", Intent.INFORM, {"product": "HP_PROMO"}),
    ("product", "salary advance", Intent.INFORM, {"product": "SALARY_ADVANCE"}),
    ("product", "small business", Intent.INFORM, {"product": "MICRO_BUSINESS"}),
    ("product", "debt consolidation", Intent.INFORM, {"product": "DEBT_CONSOLIDATION"}),
    ("employer", "Massy Stores", Intent.INFORM, {"employer": "Massy Stores"}),
    ("employer", "I work at Massy Stores", Intent.INFORM, {"employer": "Massy Stores"}),
    ("employer", "I work at Massy Stores in Chaguanas as a cashier", Intent.INFORM,
     {"employer": "Massy Stores"}),
    ("employer", "Central Bank", Intent.INFORM, {"employer": "Central Bank"}),
    ("employer", "NGC", Intent.INFORM, {"employer": "NGC"}),
    ("employer", "the Ministry of Health", Intent.INFORM,
     {"employer": "the Ministry of Health"}),
    ("employer", "I'm self employed", Intent.INFORM, {"employer": "self-employed"}),
    ("employer", "unemployed", Intent.INFORM, {"employer": "unemployed"}),
    ("employer", "I don't work", Intent.INFORM, {"employer": "I don't work"}),
    ("employer", "Pepper Pot Ltd", Intent.INFORM, {"employer": "Pepper Pot Ltd"}),
    ("employer", "yes", Intent.AFFIRM, {}),
    ("date", "next Friday", Intent.INFORM, {"date": date(2026, 11, 20)}),
    ("date", "30/11", Intent.INFORM, {"date": date(2026, 11, 30)}),
    ("date", "on the 30th", Intent.INFORM, {"date": date(2026, 11, 30)}),
    ("date", "end of the month", Intent.INFORM, {"date": date(2026, 11, 30)}),
    ("date", "I go pay Friday", Intent.INFORM, {"date": date(2026, 11, 20)}),
    ("date", "yesterday", Intent.INFORM, {"date": date(2026, 11, 17)}),
    ("code", "123456", Intent.PROVIDE_CODE, {"code": "123456"}),
    ("code", "123 456", Intent.PROVIDE_CODE, {"code": "123456"}),
    ("code", "it's 654321 thanks", Intent.PROVIDE_CODE, {"code": "654321"}),
    ("code", "12345", Intent.PROVIDE_CODE, {"code": "12345"}),
    ("email", "a@b.com", Intent.INFORM, {"email": "a@b.com"}),
    ("email", "it's Jane.Roe@Mail.com", Intent.INFORM, {"email": "Jane.Roe@Mail.com"}),
    ("phone", "868-555-0150", Intent.INFORM, {"phone": "868-555-0150"}),
    ("phone", "5550150", Intent.INFORM, {"phone": "5550150"}),
    ("phone", "+1 868 555 0150", Intent.INFORM, {"phone": "+1 868 555 0150"}),
    ("date_of_birth", "12 March 1985", Intent.INFORM, {"date_of_birth": date(1985, 3, 12)}),
    ("date_of_birth", "1985-03-12", Intent.INFORM, {"date_of_birth": date(1985, 3, 12)}),
    ("date_of_birth", "12/03/1985", Intent.INFORM, {"date_of_birth": date(1985, 3, 12)}),
    ("date_of_birth", "12/03/85", Intent.INFORM, {"date_of_birth": date(1985, 3, 12)}),
    ("id_digits", "1234", Intent.INFORM, {"id_digits": "1234"}),
    ("id_digits", "19850312001", Intent.INFORM, {"id_digits": "19850312001"}),
    ("id_digits", "my id is 1985 0312 001", Intent.INFORM, {"id_digits": "19850312001"}),
    ("method", "send me a link", Intent.INFORM, {"method": "link"}),
    ("method", "link", Intent.INFORM, {"method": "link"}),
    ("method", "I already paid", Intent.INFORM, {"method": "recorded"}),
    ("method", "card", Intent.INFORM, {"method": "link"}),
    ("method", "I paid online", Intent.INFORM, {"method": "recorded"}),
    ("reference", "ABC123", Intent.INFORM, {"reference": "ABC123"}),
    ("reference", "ref TX-99812", Intent.INFORM, {"reference": "TX-99812"}),
    ("choice", "2", Intent.INFORM, {"choice": 2}),
    ("choice", "option 3", Intent.INFORM, {"choice": 3}),
    ("choice", "the second one", Intent.INFORM, {"choice": 2}),
    ("choice", "the car loan", Intent.INFORM, {"product": "AUTO"}),
    ("confirm", "yes", Intent.AFFIRM, {}),
    ("confirm", "ok", Intent.AFFIRM, {}),
    ("confirm", "yea man", Intent.AFFIRM, {}),
    ("confirm", "dat right", Intent.AFFIRM, {}),
    ("confirm", "go ahead", Intent.AFFIRM, {}),
    ("confirm", "sure", Intent.AFFIRM, {}),
    ("confirm", "correct", Intent.AFFIRM, {}),
    ("confirm", "👍", Intent.AFFIRM, {}),
    ("confirm", "yes that's fine thanks", Intent.AFFIRM, {}),
    ("confirm", "no", Intent.DENY, {}),
    ("confirm", "nah", Intent.DENY, {}),
    ("confirm", "nope", Intent.DENY, {}),
    ("confirm", "not now", Intent.DENY, {}),
    ("confirm", "doh do it", Intent.DENY, {}),
    ("confirm", "no, make it 12 months", Intent.CORRECTION, {"term_months": 12}),
    ("confirm", "no 12 months", Intent.CORRECTION, {"term_months": 12}),
    ("confirm", "yes but make it 5k", Intent.CORRECTION, {"amount": Decimal(5000)}),
    ("confirm", "actually make it 7000", Intent.CORRECTION, {"amount": Decimal(7000)}),
    ("confirm", "change the date to Friday", Intent.CORRECTION, {"date": date(2026, 11, 20)}),
    ("confirm", "24 months", Intent.CORRECTION, {"term_months": 24}),
    ("confirm", "change the term to 24", Intent.CORRECTION, {"term_months": 24}),
    ("confirm", "no, the amount should be 24", Intent.CORRECTION, {"amount": Decimal(24)}),
    ("term_months", "make it 12", Intent.INFORM, {"term_months": 12}),
    # a product named by one word
    ("product", "personal", Intent.INFORM, {"product": "PERSONAL"}),
    ("product", "car", Intent.INFORM, {"product": "AUTO"}),
    ("product", "salary advance", Intent.INFORM, {"product": "SALARY_ADVANCE"}),
    ("product", "business", Intent.INFORM, {"product": "MICRO_BUSINESS"}),
    ("product", "hire purchase", Intent.INFORM, {"product": "HP_STANDARD"}),
    ("product", "debt consolidation", Intent.INFORM, {"product": "DEBT_CONSOLIDATION"}),
    # voice: spoken and keyed
    ("date_of_birth", "the tenth of February nineteen seventy", Intent.INFORM,
     {"date_of_birth": date(1970, 2, 10)}),
    ("date_of_birth", "February tenth nineteen seventy-two", Intent.INFORM,
     {"date_of_birth": date(1972, 2, 10)}),
    ("date_of_birth", "the twenty-first of March two thousand and five", Intent.INFORM,
     {"date_of_birth": date(2005, 3, 21)}),
    ("date_of_birth", "17061972", Intent.INFORM, {"date_of_birth": date(1972, 6, 17)}),
    ("date_of_birth", "1 7 0 6 1 9 7 2", Intent.INFORM, {"date_of_birth": date(1972, 6, 17)}),
    ("date_of_birth", "one seven zero six one nine seven two", Intent.INFORM,
     {"date_of_birth": date(1972, 6, 17)}),
    ("id_digits", "zero eight three six", Intent.INFORM, {"id_digits": "0836"}),
    ("id_digits", "oh eight three six", Intent.INFORM, {"id_digits": "0836"}),
    ("id_digits", "double oh three six", Intent.INFORM, {"id_digits": "0036"}),
    ("code", "one two three four five six", Intent.PROVIDE_CODE, {"code": "123456"}),
    # a payment already made: a bare date is the last one, today included
    ("paid_date", "Friday", Intent.INFORM, {"date": date(2026, 11, 13)}),
    ("paid_date", "Wednesday", Intent.INFORM, {"date": date(2026, 11, 18)}),
    ("paid_date", "18 November", Intent.INFORM, {"date": date(2026, 11, 18)}),
    ("paid_date", "the 18th", Intent.INFORM, {"date": date(2026, 11, 18)}),
    ("paid_date", "the 20th", Intent.INFORM, {"date": date(2026, 10, 20)}),
    ("paid_date", "30/11", Intent.INFORM, {"date": date(2025, 11, 30)}),
    ("paid_date", "yesterday", Intent.INFORM, {"date": date(2026, 11, 17)}),
    ("paid_date", "tomorrow", Intent.INFORM, {"date": date(2026, 11, 19)}),
    # a free-text description is the description, whatever words it uses
    ("detail", "the late fee is wrong", Intent.INFORM, {}),
    ("detail", "I lost my job last month", Intent.INFORM, {}),
    ("detail", "they charged me twice, I want to complain", Intent.INFORM, {}),
    ("detail", "my mother sick and I had to stop working to take care of her, "
     "so please call me back when you can", Intent.INFORM, {}),
    ("detail", "123456", Intent.INFORM, {}),
]


@pytest.mark.parametrize(("expecting", "text", "intent", "slots"), ANSWERS)
def test_a_bare_answer_is_read_as_what_was_asked(
    expecting: str, text: str, intent: Intent, slots: dict[str, Any],
) -> None:
    understood = understand_text(text, expecting=expecting, today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (intent, slots)
    assert understood.confidence >= 0.5


def test_an_answer_to_what_was_asked_is_surer_than_a_value_that_answers_something_else() -> None:
    asked = understand_text("18 months", expecting="term_months", today=TODAY)
    unasked = understand_text("18 months", expecting="amount", today=TODAY)
    assert asked.confidence == 0.9
    assert 0.5 <= unasked.confidence < asked.confidence


DIGRESSIONS: list[tuple[str, str, Intent]] = [
    ("amount", "what documents do I need?", Intent.QUESTION),
    ("amount", "what's my balance", Intent.BALANCE),
    ("amount", "talk to a person", Intent.HUMAN),
    ("amount", "cancel", Intent.CANCEL),
    ("amount", "what's the maximum for a car loan?", Intent.QUESTION),
    ("amount", "start over", Intent.START_OVER),
    ("term_months", "what is the interest rate?", Intent.QUESTION),
    ("term_months", "repeat that", Intent.REPEAT),
    ("term_months", "forget it", Intent.CANCEL),
    ("income", "I lost my job", Intent.HARDSHIP),
    ("income", "why do you need that?", Intent.QUESTION),
    ("employer", "what's my balance", Intent.BALANCE),
    ("employer", "what documents do I need?", Intent.QUESTION),
    ("employer", "talk to a person", Intent.HUMAN),
    ("employer", "cancel", Intent.CANCEL),
    ("employer", "stop", Intent.OPT_OUT),
    ("product", "what's the difference between them?", Intent.QUESTION),
    ("product", "what do you have?", Intent.QUESTION),
    ("product", "lemme talk to somebody", Intent.HUMAN),
    ("date", "I lost my job, I can't pay", Intent.HARDSHIP),
    ("date", "never mind", Intent.CANCEL),
    ("code", "I didn't get the code", Intent.RESEND_CODE),
    ("code", "resend it", Intent.RESEND_CODE),
    ("code", "talk to a person", Intent.HUMAN),
    ("confirm", "cancel", Intent.CANCEL),
    ("confirm", "what's the interest rate?", Intent.QUESTION),
    ("confirm", "yes, what documents do I need?", Intent.QUESTION),
    ("confirm", "talk to a person", Intent.HUMAN),
    ("confirm", "start over", Intent.START_OVER),
    ("confirm", "you're an idiot", Intent.ABUSE),
    ("email", "I never took this loan", Intent.DISPUTE),
    ("phone", "stop sending me messages", Intent.OPT_OUT),
    ("reference", "come again", Intent.REPEAT),
    ("choice", "what are your hours?", Intent.QUESTION),
    ("method", "I want to complain", Intent.COMPLAINT),
    ("detail", "cancel", Intent.CANCEL),
    ("detail", "talk to a person", Intent.HUMAN),
    ("detail", "start over", Intent.START_OVER),
    ("detail", "repeat that", Intent.REPEAT),
    ("paid_date", "what documents do I need?", Intent.QUESTION),
    ("amount", "what can you do?", Intent.GREET),
]


@pytest.mark.parametrize(("expecting", "text", "intent"), DIGRESSIONS)
def test_a_question_or_request_in_the_middle_is_recognised(
    expecting: str, text: str, intent: Intent,
) -> None:
    assert understand_text(text, expecting=expecting, today=TODAY).intent == intent


@pytest.mark.parametrize(("text", "expecting", "intent", "slots"), [
    ("123456", None, Intent.PROVIDE_CODE, {"code": "123456"}),
    ("123456", "code", Intent.PROVIDE_CODE, {"code": "123456"}),
    ("123456", "amount", Intent.INFORM, {"amount": Decimal(123456)}),
    ("123456", "id_digits", Intent.INFORM, {"id_digits": "123456"}),
    ("18", "term_months", Intent.INFORM, {"term_months": 18}),
    ("18", "amount", Intent.INFORM, {"amount": Decimal(18)}),
    ("18", "choice", Intent.INFORM, {"choice": 18}),
    ("Friday", "date", Intent.INFORM, {"date": date(2026, 11, 20)}),
])
def test_the_same_words_answer_different_questions_differently(
    text: str, expecting: str | None, intent: Intent, slots: dict[str, Any],
) -> None:
    understood = understand_text(text, expecting=expecting, today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (intent, slots)


def test_payday_answers_when_a_date_was_asked_but_gives_no_date() -> None:
    understood = understand_text("payday", expecting="date", today=TODAY)
    assert (understood.intent, understood.slots.filled()) == (Intent.INFORM, {})
    assert 0.5 <= understood.confidence < 0.8


def test_nonsense_is_unknown_whatever_was_asked() -> None:
    for expecting in sorted(EXPECTABLE):
        for text in ("asdfgh", "qwerty uiop", "🙂", "???", ""):
            understood = understand_text(text, expecting=expecting, today=TODAY)
            assert (understood.intent, understood.confidence < 0.5) == (Intent.UNKNOWN, True)


async def test_the_understander_answers_through_its_async_interface() -> None:
    understood = await OfflineUnderstander().understand(
        "I want to borrow 5k for 18 months", expecting=None, today=TODAY,
    )
    assert (understood.intent, understood.slots.filled()) == (
        Intent.APPLY, {"amount": Decimal(5000), "term_months": 18},
    )
    assert understood.confidence >= 0.8
