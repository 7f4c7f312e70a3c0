"""Query expansion: borrowers' spellings written out, the lender's words added once."""

from __future__ import annotations

from knowledge.vocabulary import SYNONYMS, Expansion, expand


def test_creole_forms_and_contractions_are_written_out() -> None:
    assert expand("wha going on with meh application").query == "what going on with my application"
    assert expand("allyuh doh charge late fees?").query == "you do not charge late fees?"
    assert expand("I didn't get my code").query == "I did not get my code"


def test_borrower_words_bring_the_lender_words() -> None:
    assert expand("is there a penalty for paying off my car loan early") == Expansion(
        "is there a penalty for paying off my car loan early", "fee settle settlement auto")
    assert expand("what's in the contract").extra == "agreement terms"
    assert expand("who owns the fridge").extra == "hire purchase goods appliances store"
    assert expand("how much I owe").extra == "balance"


def test_the_longest_phrase_wins_and_words_already_asked_are_not_repeated() -> None:
    assert expand("how is the payoff amount calculated").extra == (
        "settle settlement figure worked out")
    assert expand("what is the settlement figure to pay off").extra == "settle early"


def test_words_the_documents_use_and_unrelated_questions_are_left_alone() -> None:
    assert expand("how much is the late fee?") == Expansion("how much is the late fee?", "")
    assert expand("who won the cricket") == Expansion("who won the cricket", "")
    assert expand("a cartoon about carts").extra == ""


def test_every_trigger_is_lower_case_and_in_one_group_only() -> None:
    triggers = [phrase for phrases, _ in SYNONYMS for phrase in phrases]
    assert all(phrase == phrase.lower() for phrase in triggers)
    assert len(triggers) == len(set(triggers))
