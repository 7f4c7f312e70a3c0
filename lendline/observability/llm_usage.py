"""The LLM's token usage and cost, counted from every response of the configured chat model.

A LangChain callback on the model (`lendline.assistant.chat_model`) sees each call end,
whatever made it: the understander's tool call, the streamed answer, the console's reply
suggestions. It reads the response's `usage_metadata` (OpenAI's `usage`) and the model name
the server reports, and counts them with `core.telemetry.metrics.record_llm_usage`.

A streamed answer reports usage only when the server is asked for it: `ChatOpenAI` asks
OpenAI itself, but not a server at OPENAI_BASE_URL (not every compatible server supports
it), so there a streamed answer's tokens go uncounted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from core.telemetry import metrics

log = logging.getLogger(__name__)


class LLMUsage(AsyncCallbackHandler):
    """Counts tokens and cost of each chat model response."""

    def __init__(self, *, model: str, prices: Mapping[str, Mapping[str, Decimal]]) -> None:
        self.model = model
        self.prices = prices
        for kind in ("input", "output"):  # the configured model's series exist from the start
            metrics.LLM_TOKENS.labels(model=model, kind=kind)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration):
                    self._count(generation.message, response.llm_output or {})

    def _count(self, message: Any, llm_output: Mapping[str, Any]) -> None:
        usage = message.usage_metadata if isinstance(message, AIMessage) else None
        if not usage:
            return
        metadata = getattr(message, "response_metadata", {}) or {}
        model = str(metadata.get("model_name") or llm_output.get("model_name") or self.model)
        metrics.record_llm_usage(model, input_tokens=usage.get("input_tokens", 0),
                                 output_tokens=usage.get("output_tokens", 0),
                                 prices=self.prices)
