"""Split a parsed document into chunks: one per section, long sections in bounded pieces.

A section longer than `max_chars` is packed greedily from sentences (paragraph breaks kept);
each further piece starts with the trailing sentences of the previous one, up to
`overlap_chars`, so a fact that straddles a cut is whole in at least one chunk. A single
sentence longer than `max_chars` is cut at word boundaries.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.documents import ParsedDocument

MAX_CHARS = 1200
OVERLAP_CHARS = 200
SECTION_SEPARATOR = " › "
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[\"'(\[A-Z0-9¿¡*-])")


@dataclass(frozen=True)
class Chunk:
    position: int
    section_path: tuple[str, ...]
    text: str

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)


def chunk_document(
    document: ParsedDocument, *, max_chars: int = MAX_CHARS, overlap_chars: int = OVERLAP_CHARS
) -> list[Chunk]:
    """The document's chunks in reading order, positions from 0."""
    if not 0 <= overlap_chars < max_chars // 2:
        raise ValueError("overlap_chars must be at least 0 and under half of max_chars")
    chunks: list[Chunk] = []
    for section in document.sections:
        for piece in split_text(section.text, max_chars=max_chars, overlap_chars=overlap_chars):
            chunks.append(Chunk(len(chunks), section.path, piece))
    return chunks


def split_text(text: str, *, max_chars: int, overlap_chars: int) -> list[str]:
    """`text` in pieces of at most `max_chars`, consecutive pieces overlapping."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    units = _units(text, max_chars)
    pieces: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and _length([*current, unit]) > max_chars:
            pieces.append(_join(current))
            current = _overlap(current, overlap_chars, room=max_chars - len(unit.strip()) - 1)
        current.append(unit)
    if current:
        pieces.append(_join(current))
    return pieces


def embedding_input(title: str, section: str, text: str) -> str:
    """What is embedded for a chunk: its title and section give context to a short passage."""
    heading = f"{title} — {section}" if section else title
    return f"{heading}\n\n{text}"


def content_hash(title: str, section: str, text: str) -> str:
    """Identifies a chunk's embedded content: same hash, same vector for the same embedder."""
    return hashlib.sha256(embedding_input(title, section, text).encode()).hexdigest()


def _units(text: str, max_chars: int) -> list[str]:
    """Sentences; the first sentence of each paragraph after the first starts with a blank
    line so joining restores the paragraph break."""
    units: list[str] = []
    for p, paragraph in enumerate(re.split(r"\n\s*\n", text)):
        sentences = [s for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]
        for s, sentence in enumerate(sentences):
            for part in _cut(sentence.strip(), max_chars):
                units.append(("\n\n" if p and not s else "") + part)
    return units


def _cut(sentence: str, max_chars: int) -> list[str]:
    parts: list[str] = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*parts, sentence] if sentence else parts


def _overlap(units: list[str], overlap_chars: int, *, room: int) -> list[str]:
    kept: list[str] = []
    for unit in reversed(units):
        if _length([unit.strip(), *kept]) > min(overlap_chars, room):
            break
        kept.insert(0, unit.strip())
    return kept


def _join(units: list[str]) -> str:
    return " ".join(units).replace(" \n\n", "\n\n").strip()


def _length(units: list[str]) -> int:
    return len(_join(units))
