"""Which passages the agent cited, and which conversations cited a document.

Citations are stored nowhere but in the answers themselves: the question flow ends each
answer with "(Source: title — section)" (`knowledge.citations.citation`), and
`core.conversations.timeline.citations` reads those lines back from the transcript. This
module matches them to the chunks of the knowledge base. A section cut into several chunks
shares one citation; the chunk sharing most words with the answer is the one quoted. A
citation whose document was since removed, or whose section was renamed, matches nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.models import Author, Channel, ConversationMessage
from core.conversations.timeline import citations
from core.knowledge.models import KnowledgeChunk, KnowledgeDocument
from knowledge.citations import citation

MAX_CONVERSATIONS = 100
_WORD = re.compile(r"\w+")
_CITATION_SQL = literal("Source: ") + KnowledgeChunk.title + case(
    (KnowledgeChunk.section == "", ""), else_=literal(" — ") + KnowledgeChunk.section)


@dataclass(frozen=True)
class CitedPassage:
    """A chunk a citation names, with its document."""

    document_id: int
    collection: str
    source: str
    title: str
    section: str
    position: int
    text: str


@dataclass(frozen=True)
class Citing:
    """A conversation whose agent answers cited a document: how often, when last, where."""

    conversation_id: int
    channel: Channel
    answers: int
    last_cited_at: dt.datetime
    sections: tuple[str, ...]


async def cited_passages(session: AsyncSession, *, answer: str,
                         cited: Sequence[str]) -> list[tuple[str, CitedPassage | None]]:
    """Each citation line of `answer` ("Source: title — section") with the passage it
    quoted, or None when the knowledge base no longer holds it."""
    found = await _passages(session, set(cited))
    words = _words(answer)
    return [(line, max(found.get(line, []), default=None,
                       key=lambda p: (len(words & _words(p.text)), -p.position)))
            for line in cited]


async def citing_conversations(session: AsyncSession, *, document_id: int,
                               limit: int = MAX_CONVERSATIONS) -> list[Citing]:
    """The conversations whose agent answers cited the document, latest first."""
    chunks = (await session.scalars(
        select(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id))).all()
    if not chunks:
        return []
    lines = {citation(chunk) for chunk in chunks}
    title = chunks[0].title
    messages = (await session.execute(
        select(ConversationMessage.conversation_id, ConversationMessage.channel,
               ConversationMessage.created_at, ConversationMessage.body)
        .where(ConversationMessage.author == Author.AGENT,
               ConversationMessage.body.contains(f"(Source: {title}", autoescape=True))
        .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
    )).all()
    found: dict[int, Citing] = {}
    for conversation_id, channel, at, body in messages:
        hits = [line for line in citations(body) if line in lines]
        if not hits:
            continue
        sections = tuple(_section(line, title) for line in hits)
        known = found.get(conversation_id)
        if known is None:
            if len(found) == limit:
                continue
            found[conversation_id] = Citing(conversation_id, channel, 1, at, sections)
        else:
            merged = known.sections + tuple(s for s in sections if s not in known.sections)
            found[conversation_id] = Citing(conversation_id, channel, known.answers + 1,
                                            known.last_cited_at, merged)
    return list(found.values())


async def _passages(session: AsyncSession,
                    lines: Iterable[str]) -> dict[str, list[CitedPassage]]:
    wanted = sorted(set(lines))
    if not wanted:
        return {}
    rows = (await session.execute(
        select(_CITATION_SQL, KnowledgeChunk, KnowledgeDocument.collection,
               KnowledgeDocument.source)
        .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
        .where(_CITATION_SQL.in_(wanted))
        .order_by(KnowledgeChunk.document_id, KnowledgeChunk.position)
    )).all()
    found: dict[str, list[CitedPassage]] = {}
    for line, chunk, collection, source in rows:
        found.setdefault(line, []).append(CitedPassage(
            document_id=chunk.document_id, collection=collection, source=source,
            title=chunk.title, section=chunk.section, position=chunk.position,
            text=chunk.text))
    return found


def _section(line: str, title: str) -> str:
    return line.removeprefix(f"Source: {title}").removeprefix(" — ") or "(introduction)"


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))
