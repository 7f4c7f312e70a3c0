"""Wiring of the agent: which understander and writer run, with which keys and knowledge."""

from __future__ import annotations

from langchain_openai import ChatOpenAI

from agent.answers import KnowledgeSearch
from agent.context import AnswerWriter, Understander
from agent.conversation import Agent
from agent.understanding.llm import LLMUnderstander
from agent.understanding.offline import OfflineUnderstander
from agent.writer import LLMAnswerWriter
from core.crypto import FieldCipher
from core.otp.service import derive_key
from knowledge.embedding import embedder_from_settings
from lendline.observability.llm_usage import LLMUsage
from lendline.payments import make_provider
from lendline.services import Services
from lendline.settings import Settings


def chat_model(settings: Settings) -> ChatOpenAI:
    """The configured OpenAI-compatible chat model."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return ChatOpenAI(model=settings.openai_model, base_url=settings.openai_base_url,
                      api_key=key, temperature=0, timeout=settings.llm_timeout_seconds,
                      max_retries=1,
                      callbacks=[LLMUsage(model=settings.openai_model,
                                          prices=settings.llm_prices)])


def build_agent(settings: Settings, services: Services, *, cipher: FieldCipher) -> Agent:
    """The agent: LLM understanding and answers with a key or base URL, offline without."""
    offline = OfflineUnderstander()
    understander: Understander = offline
    writer: AnswerWriter | None = None
    if settings.llm_enabled:
        model = chat_model(settings)
        understander = LLMUnderstander(model, fallback=offline, lender=settings.lender_name)
        writer = LLMAnswerWriter(model, lender=settings.lender_name)
    return Agent(
        session_factory=services.session_factory, understander=understander, cipher=cipher,
        otp_key=derive_key(settings.resolved_secret_key()),
        knowledge=KnowledgeSearch(embedder_from_settings(settings)), writer=writer,
        payments=make_provider(settings),
        payment_return_url=f"{settings.base_url.rstrip('/')}/pay/{{reference}}",
        lender_name=settings.lender_name, timezone=settings.timezone,
    )
