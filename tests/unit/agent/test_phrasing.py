"""Trinidad and Tobago phrasing, misspellings and emoji, normalised before understanding."""

from __future__ import annotations

import pytest

from agent.understanding.phrasing import (
    leading_polarity,
    normalise,
    polarity,
    strip_pleasantries,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("wha de balance is", "what the balance is"),
    ("wah de balance is", "what the balance is"),
    ("how much I owe", "how much i owe"),
    ("how much ah owe", "how much i owe"),
    ("Ah want ah loan", "i want a loan"),
    ("ah doh have it", "i do not have it"),
    ("I doh know", "i do not know"),
    ("I eh have money", "i not have money"),
    ("nah", "no"),
    ("yuh have meh number", "you have my number"),
    ("allyuh open today?", "you open today?"),
    ("I go pay Friday", "i will pay friday"),
    ("ah go pay yuh friday", "i will pay you friday"),
    ("we go send it monday", "we will send it monday"),
    ("lemme talk to somebody", "let me talk to somebody"),
    ("gimme de link", "give me the link"),
    ("dem people", "them people"),
    ("dat right", "that right"),
    ("dis month", "this month"),
    ("ah cyah pay", "i can not pay"),
    ("I can't pay", "i can not pay"),
    ("I cannot pay", "i can not pay"),
    ("I didn't get it", "i did not get it"),
    ("didnt get it", "did not get it"),
    ("I won't", "i will not"),
    ("I'm sick", "i am sick"),
    ("I'll pay", "i will pay"),
    ("what's my balance", "what is my balance"),
    ("whats my balnce", "what is my balance"),
    ("my paymnt", "my payment"),
    ("my lone", "my loan"),
    ("my laon", "my loan"),
    ("I want to aplly", "i want to apply"),
    ("my shedule", "my schedule"),
    ("thx", "thanks"),
    ("pls", "please"),
    ("u r late", "you are late"),
    ("12 mths", "12 months"),
    ("two yrs", "two years"),
    ("tmrw", "tomorrow"),
    ("it’s fine", "it is fine"),
    ("HELLO   THERE", "hello there"),
    ("  spaced\tout\n", "spaced out"),
    ("balance?!?!", "balance?!?!"),
    ("balance???", "balance?"),
    ("pay now 🙂🙂", "pay now"),
    ("👍", "ok"),
    ("👎", "no"),
    ("🙂", ""),
    ("", ""),
    ("TT$5,000", "tt$5,000"),
    ("a@b.com", "a@b.com"),
    ("eh?", "eh?"),
    ("you good eh", "you good"),
    ("１２３４５６", "123456"),
])
def test_a_message_is_normalised(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("text", [
    "yes", "Yes.", "yeah", "yep", "yup", "ya", "yea", "yea man", "ok", "okay", "OK!", "k",
    "sure", "correct", "dat right", "that's right", "go ahead", "yes please", "ok thanks",
    "sounds good", "do it", "confirm", "proceed", "of course", "alright", "👍",
])
def test_a_bare_yes_is_an_affirmation(text: str) -> None:
    assert polarity(normalise(text)) is True


@pytest.mark.parametrize("text", [
    "no", "No.", "nah", "nope", "not now", "doh do it", "don't do it", "no thanks",
    "no thank you", "not interested", "that's wrong", "not yet", "never", "👎",
])
def test_a_bare_no_is_a_denial(text: str) -> None:
    assert polarity(normalise(text)) is False


@pytest.mark.parametrize("text", [
    "no, make it 12 months", "yes but 5k", "what is the rate", "hello", "", "5000",
])
def test_anything_more_than_a_bare_yes_or_no_has_no_polarity(text: str) -> None:
    assert polarity(normalise(text)) is None


@pytest.mark.parametrize(("text", "said", "rest"), [
    ("no, make it 12 months", False, "make it 12 months"),
    ("yes but make it 5k", True, "but make it 5k"),
    ("ok. what is the rate?", True, "what is the rate?"),
    ("make it 12 months", None, "make it 12 months"),
    ("nothing", None, "nothing"),
])
def test_a_yes_or_no_that_opens_a_message_is_split_from_the_rest(
    text: str, said: bool | None, rest: str,
) -> None:
    assert leading_polarity(text) == (said, rest)


@pytest.mark.parametrize(("text", "expected"), [
    ("hi, i want a loan", "i want a loan"),
    ("good morning, what is my balance", "what is my balance"),
    ("hello there how much i owe", "how much i owe"),
    ("thanks, bye", "thanks, bye"),
    ("hi", "hi"),
    ("good morning", "good morning"),
])
def test_an_opening_greeting_is_dropped_when_more_follows(text: str, expected: str) -> None:
    assert strip_pleasantries(text) == expected
