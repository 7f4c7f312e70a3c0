"""A talk cycle: one reply being spoken, and what of it the caller heard.

Twilio reports an interruption as the words of the whole reply played so far
(`utteranceUntilInterrupt`); a reply may be several transcript messages, so what was heard
is split across them to note each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def heard_parts(spoken: list[tuple[int, str]], heard: str) -> list[tuple[int, str]]:
    """The replies of a talk cycle the caller did not hear in full, each with the part they
    did hear: Twilio reports the cycle's words up to the interruption as one text."""
    parts: list[tuple[int, str]] = []
    start = 0
    for message_id, body in spoken:
        end = start + len(body)
        if end > len(heard.rstrip()):
            parts.append((message_id, heard[start:].strip()))
        start = end + 1
    return parts


@dataclass
class Cycle:
    """One reply being spoken (ConversationRelay's talk cycle)."""

    tokens: int = 0
    said: str = ""  # the words sent
    cut: bool = False  # the call dropped before all of it was sent
    heard: str | None = None  # set when the caller spoke over it
    spoken: list[tuple[int, str]] = field(default_factory=list)  # (message id, body) sent
    unsaid: list[int] = field(default_factory=list)  # message ids never sent
    noted: bool = False

    def token(self, words: str) -> str:
        """`words` as the next token: Twilio joins tokens as they come, so add the space."""
        return words if not self.tokens or words[:1].isspace() else f" {words}"

    def settle(self) -> list[tuple[int, str]]:
        """Once the reply's messages are known: each one not heard in full, with what was.
        A caller who hung up heard at most what was sent."""
        if self.cut and self.heard is None:
            self.heard = self.said
        self.noted = True
        notes = [(message_id, "") for message_id in self.unsaid]
        if self.heard is not None:
            notes += heard_parts(self.spoken, self.heard)
        return notes
