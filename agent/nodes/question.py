"""Answer a product or policy question from the knowledge base, naming the source.

Passages are data: they are quoted, or given to the LLM inside a data block, and the LLM's
answer must pass the numbers guard against them or the quoted passage is sent instead. When
nothing matches well, the agent says it does not know and offers a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from agent.context import Passage, TurnContext
from agent.guard import grounded
from agent.nodes.resume import back_to_task
from agent.state import ConversationState
from agent.streaming import SentenceStream
from agent.turn import Turn
from knowledge.citations import citation

EXCERPT = 700
RANK_PENALTY = 0.5
DONT_KNOW = ("I'm not sure about that one, and I'd rather not guess. Would you like me to "
             "pass you to a member of our team? (yes/no)")


def _sentences(text: str) -> list[str]:
    body = re.sub(r"^#+\s.*$", "", text, flags=re.MULTILINE)
    body = re.sub(r"^\s*\|[\s:|-]+\|\s*$", "", body, flags=re.MULTILINE)
    body = re.sub(r"^\s*\|(.*)\|\s*$", _table_row, body, flags=re.MULTILINE)
    body = re.sub(r"\s+", " ", body).strip()
    return [sentence.strip() for sentence in SENTENCE.split(body) if sentence.strip()]


def _table_row(match: re.Match[str]) -> str:
    """A Markdown table row as a sentence: '| Saturday | 8 a.m. – 2 p.m. |' -> 'Saturday: …'."""
    cells = [cell.strip() for cell in match.group(1).split("|") if cell.strip()]
    if len(cells) < 2:
        return " ".join(cells)
    return f"{cells[0]}: {', '.join(cells[1:])}."


def excerpt(passages: Sequence[Passage], question: str, limit: int = EXCERPT) -> tuple[
        str, Passage]:
    """The sentences that share most words with the question, from the passage that has the
    best one, in their order; and that passage, to cite.

    The offline answer: extractive, so every word (and number) in it is the lender's own.
    """
    wanted = _words(question)
    best, best_score = passages[0], -1.0
    for rank, passage in enumerate(passages):
        # Search's order counts: a lower-ranked passage must match clearly better to win.
        overlap = max((len(wanted & _words(s)) for s in _sentences(passage.text)), default=0)
        score = overlap - RANK_PENALTY * rank
        if score > best_score:
            best, best_score = passage, score
    sentences = _sentences(best.text)
    if not sentences:
        return best.text.strip()[:limit], best
    if sum(len(sentence) + 1 for sentence in sentences) <= limit:
        return " ".join(sentences), best  # a short section is the answer as it stands
    ranked = sorted(range(len(sentences)),
                    key=lambda i: (-len(wanted & _words(sentences[i])), i))
    chosen: list[int] = []
    length = 0
    for index in ranked:
        if length + len(sentences[index]) > limit and chosen:
            break
        chosen.append(index)
        length += len(sentences[index]) + 1
    return " ".join(sentences[i] for i in sorted(chosen)), best


SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# Only words that carry nothing: "how", "can", "you" stay, since "how can I reach you" is
# answered by the sentence that says "you can reach us".
STOP = frozenset("a an and are at be do does for from i if in is it my of on or the there "
                 "this to with your me".split())


def _words(text: str) -> set[str]:
    return {word.rstrip("s") for word in re.findall(r"[a-z0-9]+", text.lower())
            if word not in STOP}


async def question(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    context = runtime.context
    asked = state["understanding"]["slots"].get("question") or state.get("inbound", "")
    offer = None
    answer = None if context.knowledge is None else await context.knowledge.search(
        context.session, asked)
    if answer is None or not answer.confident or not answer.passages:
        turn.say(DONT_KNOW)
        offer = "person"
    else:
        fallback, best = excerpt(answer.passages, asked)
        sources = [passage.text for passage in answer.passages] + [asked]
        written = None
        stream = None
        if context.stream is not None:
            stream = SentenceStream(context.stream, sources=sources,
                                    capabilities=state["capabilities"])
        if context.writer is not None:
            written = await context.writer.answer(
                asked, answer.passages, on_token=stream.feed if stream else None)
        source = f"({citation(best)})"
        if written and grounded(written, sources):
            streamed = stream is not None and await stream.finish(f"\n\n{source}")
            turn.say(f"{written}\n\n{source}", streamed=streamed)
        else:
            turn.say(f"{fallback}\n\n{source}")
        turn.facts.extend(sources)
    back_to_task(turn, state)
    return turn.update(offer=offer, misunderstandings=0)
