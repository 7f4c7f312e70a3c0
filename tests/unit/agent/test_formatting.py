"""Replies shaped for each channel: money and dates for people, speech, markdown, length."""

from __future__ import annotations

from agent.capabilities import capabilities_for
from agent.formatting import day, fit, money, percent, plain, speakable, split


def test_money_and_dates_are_written_for_people() -> None:
    assert money("1234.5") == "TT$1,234.50"
    assert money("-5") == "-TT$5.00"
    assert day("2026-12-05") == "Sat 5 Dec 2026"
    assert percent("0.2399") == "23.99%"
    assert percent("15.69%") == "15.69%"


def test_speech_reads_amounts_and_dates_naturally_without_symbols() -> None:
    text = "Your next payment is *TT$1,206.24* on Mon 30 Nov 2026.\n- pay at http://x.test/p"
    spoken = speakable(text)
    assert spoken == ("Your next payment is 1,206 dollars and 24 cents on Monday the 30th of "
                      "November. pay at the link we sent you by text")
    assert speakable("TT$1.00 on Tue 1 Dec 2026") == "1 dollar on Tuesday the 1st of December"


def test_markdown_is_stripped_where_the_channel_shows_it_literally() -> None:
    assert plain("Your *Personal Loan* is _approved_") == "Your Personal Loan is approved"
    assert fit("*Hi*", capabilities_for("sms")) == ["Hi"]
    assert fit("*Hi*", capabilities_for("whatsapp")) == ["*Hi*"]


def test_long_replies_are_split_at_boundaries_within_the_limit() -> None:
    text = ("word " * 50).strip() + "\n\n" + ("other " * 50).strip()
    parts = split(text, 120)
    assert all(len(part) <= 120 for part in parts)
    assert " ".join(parts).split() == text.split()
    assert split("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_an_unknown_channel_gets_the_most_conservative_capabilities() -> None:
    assert capabilities_for("carrier-pigeon") == capabilities_for("sms")


def test_a_spoken_reply_names_its_source_in_words_and_drops_loan_numbers() -> None:
    assert speakable("Your Personal Loan (loan 1): TT$20,532.71 outstanding.\n\n"
                     "(Source: Fees and charges — Late fees)") == (
        "Your Personal Loan: 20,532 dollars and 71 cents outstanding. "
        "That's from our Fees and charges.")
