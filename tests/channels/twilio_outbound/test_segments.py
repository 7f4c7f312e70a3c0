"""SMS text, worked examples: encodings, segment counts (extension characters and emoji never
straddle two segments), markdown stripped, long replies split at word boundaries."""

from __future__ import annotations

import pytest

from channels.twilio.segments import Encoding, encoding, segments, sms_text, split, strip_markdown


@pytest.mark.parametrize(("text", "expected"), [
    ("Your balance is TTD 1,200.00", Encoding.GSM_7),
    ("Price: €5 [approx] {ok} ~ | ^ \\", Encoding.GSM_7),  # the extension table
    ("Café à Port-of-Spain, Ñoño, Øre", Encoding.GSM_7),
    ("Ñandú", Encoding.UCS_2),  # ú is not in GSM-7 (ù is)
    ("Olá", Encoding.UCS_2),  # á is not in GSM-7 (à is)
    ("ça", Encoding.UCS_2),  # only the capital Ç is
    ("Thanks 👍", Encoding.UCS_2),
    ("It’s", Encoding.UCS_2),  # a curly apostrophe
])
def test_encoding(text: str, expected: Encoding) -> None:
    assert encoding(text) is expected


@pytest.mark.parametrize(("text", "count"), [
    ("", 0),
    ("a" * 160, 1),  # GSM-7: 160 in one segment
    ("a" * 161, 2),  # then 153 a segment
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("€" * 80, 1),  # 160 septets: each € takes two
    ("€" * 81, 2),  # 162 septets: 76 euros (152 septets) a segment
    ("a" * 152 + "€" + "a" * 151, 2),  # 305 septets: the € opens the second segment exactly
    ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, yet 3: the € cannot straddle
    ("ł" * 70, 1),  # UCS-2: 70 in one segment
    ("ł" * 71, 2),  # then 67 a segment
    ("ł" * 134, 2),
    ("ł" * 135, 3),
    ("😀" * 35, 1),  # 70 UTF-16 units
    ("😀" * 36, 2),
    ("😀" * 67, 3),  # 134 units would fit two segments, but 33 emoji fill one (66 of 67)
])
def test_segments(text: str, count: int) -> None:
    assert segments(text) == count


def test_markdown_is_stripped_for_sms() -> None:
    text = ("# Your balance\n\n**Balance:** TTD 1,200.00\n* next due _15 May_\n"
            "* see [the FAQ](https://x.example/faq) or <https://x.example>\n\n\n---\n\n"
            "> quoted `code` snake_case_name a*b*c ~~old~~\n```\nblock\n```")
    assert strip_markdown(text) == (
        "Your balance\n\nBalance: TTD 1,200.00\n- next due 15 May\n"
        "- see the FAQ (https://x.example/faq) or <https://x.example>\n\n"
        "quoted code snake_case_name a*b*c old\nblock")


def test_sms_text_uses_gsm_look_alikes() -> None:
    text = sms_text("It’s “fine” — really…")
    assert text == "It's \"fine\" - really..."
    assert encoding(text) is Encoding.GSM_7


def test_a_short_reply_is_one_message() -> None:
    assert split("  Hello there.  ") == ["Hello there."]
    assert split("   ") == []


def test_a_long_gsm_reply_splits_into_ten_segment_messages_at_word_boundaries() -> None:
    text = " ".join(["word"] * 1000)  # 4,999 characters, 33 segments as one message
    parts = split(text)
    assert [len(part) for part in parts] == [1529, 1529, 1529, 409]  # 306 words, 82 words
    assert [segments(part) for part in parts] == [10, 10, 10, 3]
    assert " ".join(parts) == text


def test_a_long_ucs2_reply_splits_at_670_units() -> None:
    text = " ".join(["łódź"] * 300)  # UCS-2: 10 segments of 67 are 670 units
    parts = split(text)
    assert [len(part) for part in parts] == [669, 669, 159]  # 134, 134 and 32 words
    assert [segments(part) for part in parts] == [10, 10, 3]
    assert " ".join(parts) == text


def test_whatsapp_parts_split_by_length_only_and_a_long_word_is_cut() -> None:
    assert [len(part) for part in split("x" * 2500, max_chars=1000, max_segments=None)] == [
        1000, 1000, 500]
    assert split("see " + "y" * 1200 + " ok", max_chars=1000, max_segments=None) == [
        "see", "y" * 1000, "y" * 200 + " ok"]


def test_line_breaks_inside_a_part_are_kept() -> None:
    text = "Line one.\nLine two.\n\n" + " ".join(["word"] * 400)
    parts = split(text)
    assert parts[0].startswith("Line one.\nLine two.\n\nword word")
    assert [len(part) for part in parts] == [1530, 489]  # 21 + 302 words fill 10 segments
    assert [segments(part) for part in parts] == [10, 4]
