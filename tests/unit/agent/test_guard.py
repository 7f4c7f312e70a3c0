"""The numbers guard: a written reply may only state numbers that were supplied to it."""

from __future__ import annotations

from decimal import Decimal

from agent.guard import grounded, invented_numbers, numbers_in, unsupported_claims


def test_numbers_are_normalised_across_formats() -> None:
    assert numbers_in("TT$1,234.50 and 1234.5 and 7") == {Decimal("1234.5"), Decimal("7")}


def test_an_amount_from_the_tool_result_is_grounded() -> None:
    tool = '{"payoff_amount": "20535.35", "valid_until": "2026-11-20"}'
    assert grounded("You can settle for TT$20,535.35 until 20 Nov 2026.", [tool])


def test_an_invented_amount_is_caught() -> None:
    tool = '{"payoff_amount": "20535.35"}'
    reply = "You can settle for TT$19,000.00 today."
    assert invented_numbers(reply, [tool]) == {Decimal("19000")}
    assert not grounded(reply, [tool])


def test_a_fraction_may_be_written_as_a_percentage() -> None:
    assert grounded("The APR is 23.99%.", ['{"apr": "0.2399"}'])
    assert not grounded("The APR is 19.99%.", ['{"apr": "0.2399"}'])


def test_the_borrowers_own_numbers_are_allowed() -> None:
    assert grounded("You said you will pay TT$500 on the 27th.", ["I go pay 500 on the 27th"])


def test_a_reply_without_numbers_is_always_grounded() -> None:
    assert grounded("A member of our team will reply here.", [])


def test_an_outcome_no_source_states_is_caught() -> None:
    passage = "A late fee is charged 5 days after the due date."
    assert unsupported_claims("Your loan is approved and the fee waived.", [passage]) == {
        "approved", "waived"}
    assert not grounded("Good news, your loan is approved.", [passage])
    assert grounded("We may waive a late fee once.", ["We may waive a late fee once a year."])
