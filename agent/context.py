"""The run context of one turn: what nodes and tools use and the model never sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from agent.understanding.model import Understanding
from core.crypto import FieldCipher
from core.payments.provider import PaymentProvider
from tools.context import Attachment


class Understander(Protocol):
    """Turns one message into an `Understanding`; the offline and LLM ones both fit."""

    async def understand(
        self, text: str, *, expecting: str | None, today: dt.date,
    ) -> Understanding: ...


class Passage(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def source(self) -> str: ...


class Answer(Protocol):
    @property
    def passages(self) -> Sequence[Passage]: ...
    @property
    def confident(self) -> bool: ...


class KnowledgeBase(Protocol):
    """Finds the passages that answer a question (the knowledge package, or a test double)."""

    async def search(self, session: AsyncSession, question: str) -> Answer: ...


class AnswerWriter(Protocol):
    """Writes an answer to a question from passages (the LLM); None when it cannot."""

    async def answer(
        self, question: str, passages: Sequence[Passage], *,
        on_token: Callable[[str], Awaitable[None]] | None = None,
    ) -> str | None: ...


@dataclass(frozen=True, slots=True)
class TurnContext:
    session: AsyncSession
    now: dt.datetime
    today: dt.date
    cipher: FieldCipher
    otp_key: bytes
    understander: Understander
    knowledge: KnowledgeBase | None = None
    writer: AnswerWriter | None = None
    payments: PaymentProvider | None = None
    payment_return_url: str = "/pay/{reference}"
    lender_name: str = "Lendline"
    stream: Callable[[str], Awaitable[None]] | None = None  # the channel's live text sink
    attachments: tuple[Attachment, ...] = ()
