"""Stream an LLM-written answer to the borrower sentence by sentence, as it is written.

The web chat shows words as they come and a phone call starts speaking before the model has
finished, but nothing unchecked may reach the borrower: tokens are held until a sentence
ends, the sentence must pass the reply guard against the answer's sources, and it is shaped
for the channel (spoken or plain) before the channel's sink gets it. The first sentence that
fails the guard stops the stream; the turn's final reply (the quoted passage) then replaces
what was shown, and a voice channel, which cannot take words back, has only heard checked
sentences.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from agent.formatting import plain, speakable
from agent.guard import grounded
from agent.state import Capabilities

TokenSink = Callable[[str], Awaitable[None]]

_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


class SentenceStream:
    """Feed it tokens; it passes whole, checked, channel-shaped sentences to `sink`."""

    def __init__(self, sink: TokenSink, *, sources: Sequence[str],
                 capabilities: Capabilities) -> None:
        self.sink = sink
        self.sources = list(sources)
        self.capabilities = capabilities
        self.pending = ""
        self.sent: list[str] = []
        self.broken = False

    def _shaped(self, text: str) -> str:
        if self.capabilities["speakable"]:
            return speakable(text)
        return text if self.capabilities["markdown"] else plain(text)

    async def _emit(self, sentence: str) -> None:
        if self.broken or not sentence.strip():
            return
        if not grounded(sentence, self.sources):
            self.broken = True
            return
        fragment = self._shaped(sentence)
        self.sent.append(fragment)
        await self.sink(fragment)

    async def feed(self, token: str) -> None:
        self.pending += token
        while (match := _SENTENCE_END.search(self.pending)) is not None:
            sentence, self.pending = (self.pending[:match.end()],
                                      self.pending[match.end():])
            await self._emit(sentence)

    async def finish(self, tail: str = "") -> bool:
        """Flush what is left, then `tail` (our own citation, not the model's, so unchecked);
        True when the whole answer reached the sink."""
        rest, self.pending = self.pending, ""
        await self._emit(rest)
        if not self.broken and tail:
            fragment = self._shaped(tail)
            self.sent.append(fragment)
            await self.sink(fragment)
        return not self.broken
