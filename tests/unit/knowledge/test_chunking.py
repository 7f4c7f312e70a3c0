"""Chunks: one per section, long sections cut at sentences into bounded overlapping pieces."""

from __future__ import annotations

import pytest

from knowledge.chunking import chunk_document, content_hash, embedding_input, split_text
from knowledge.documents import ParsedDocument, Section


def sentences(count: int) -> list[str]:
    return [f"Sentence number {n} says something about loans." for n in range(count)]


def test_short_sections_are_one_chunk_each_with_their_path() -> None:
    document = ParsedDocument(
        title="Fees", format="md",
        sections=[Section((), "Intro."), Section(("Late", "Grace"), "Five days.")],
    )
    chunks = chunk_document(document)
    assert [(c.position, c.section_path, c.section, c.text) for c in chunks] == [
        (0, (), "", "Intro."),
        (1, ("Late", "Grace"), "Late › Grace", "Five days."),
    ]


def test_long_text_is_cut_at_sentences_within_the_bound_and_overlaps() -> None:
    every = sentences(40)  # 45 characters each for 0-9, 46 after
    pieces = split_text(" ".join(every), max_chars=300, overlap_chars=100)
    # Six sentences fit in 300 characters; the last two (91-93 characters) are repeated.
    assert pieces == [" ".join(every[start : start + 6]) for start in range(0, 40, 4)]
    assert max(len(piece) for piece in pieces) == 281


def test_paragraph_breaks_survive_and_a_huge_sentence_is_cut_at_words() -> None:
    text = "First paragraph here.\n\nSecond paragraph here."
    assert split_text(text, max_chars=30, overlap_chars=0) == [
        "First paragraph here.", "Second paragraph here.",
    ]
    assert split_text(text, max_chars=100, overlap_chars=0) == [text]
    words = " ".join(["word"] * 100)  # 499 characters, no sentence end
    pieces = split_text(words, max_chars=100, overlap_chars=0)
    assert [len(p) for p in pieces] == [99, 99, 99, 99, 99]


def test_overlap_must_be_under_half_the_bound() -> None:
    document = ParsedDocument(title="T", format="md", sections=[Section((), "x")])
    with pytest.raises(ValueError, match="overlap_chars"):
        chunk_document(document, max_chars=100, overlap_chars=60)


def test_the_content_hash_covers_title_section_and_text() -> None:
    base = content_hash("Fees", "Late", "Five days.")
    assert base == content_hash("Fees", "Late", "Five days.")
    assert base != content_hash("Fees", "Early", "Five days.")
    assert base != content_hash("Charges", "Late", "Five days.")
    assert embedding_input("Fees", "Late", "Five days.") == "Fees — Late\n\nFive days."
    assert embedding_input("Fees", "", "Five days.") == "Fees\n\nFive days."
