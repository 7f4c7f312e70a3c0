"""The LLM's tokens and cost: read from each response's usage by the callback on the chat
model the app builds, priced in Decimal from the settings' table, exported as floats."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from agent.understanding.llm import RecordUnderstanding
from core.telemetry import metrics
from core.telemetry.metrics import DecimalCounter, price_for, record_llm_usage
from lendline.assistant import chat_model
from lendline.observability.llm_usage import LLMUsage
from lendline.settings import Settings
from tests.agent.fake_openai import FakeOpenAI, Running

DATED = "gpt-4o-mini-2024-07-18"
PRICES = {"gpt-4o": {"input": Decimal("2.50"), "output": Decimal("10.00")},
          "gpt-4o-mini": {"input": Decimal("0.15"), "output": Decimal("0.60")}}


SERVER = FakeOpenAI(lambda text: {"intent": "balance", "slots": {}, "confidence": 0.9},
                    lambda messages: "Yes we do.")


@pytest.fixture(scope="module")
def fake() -> Iterator[Running]:
    with Running(SERVER) as running:
        yield running


def tokens(model: str, kind: str) -> float:
    found = metrics.REGISTRY.get_sample_value("lendline_llm_tokens_total",
                                              {"model": model, "kind": kind})
    return found or 0.0


def cost(model: str, kind: str) -> Decimal:
    return metrics.LLM_COST_USD.value(model=model, kind=kind)


def test_the_configured_model_counts_a_tool_call_by_the_name_the_server_reports(
        fake: Running, settings: Settings) -> None:
    model = chat_model(settings.model_copy(update={"openai_base_url": fake.base_url,
                                                   "openai_model": DATED}))
    before = tokens(DATED, "input"), tokens(DATED, "output"), cost(DATED, "input")
    bound = model.bind_tools([RecordUnderstanding], tool_choice="RecordUnderstanding")
    reply = bound.invoke([HumanMessage("what do I owe?")])
    assert reply.tool_calls[0]["args"]["intent"] == "balance"
    assert tokens(DATED, "input") == before[0] + 50
    assert tokens(DATED, "output") == before[1] + 10
    assert cost(DATED, "input") == before[2] + Decimal("0.0000075"), "priced as gpt-4o-mini"


async def test_a_streamed_answer_counts_only_when_usage_is_streamed(
        fake: Running, settings: Settings) -> None:
    configured = settings.model_copy(update={"openai_base_url": fake.base_url})
    model = chat_model(configured)
    name = configured.openai_model
    before = tokens(name, "output")
    assert "".join([chunk.text async for chunk in model.astream("Do you lend?")]) == "Yes we do."
    assert tokens(name, "output") == before, "a compatible server is not asked for usage"
    streaming = ChatOpenAI(model=name, base_url=fake.base_url, api_key="unused",
                           stream_usage=True, callbacks=[LLMUsage(model=name, prices=PRICES)])
    assert "".join([chunk.text async for chunk in streaming.astream("Do you lend?")]) == (
        "Yes we do.")
    assert tokens(name, "output") == before + 30
    assert SERVER.requests[-1]["stream_options"] == {"include_usage": True}


def test_a_dated_model_takes_the_price_of_the_longest_name_it_starts_with() -> None:
    assert price_for(DATED, PRICES) == PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o-2024-08-06", PRICES) == PRICES["gpt-4o"]
    assert price_for("llama3.1:8b", PRICES) is None


def test_a_model_without_a_price_counts_tokens_and_costs_nothing() -> None:
    before = tokens("llama3.1:8b", "input")
    spent = record_llm_usage("llama3.1:8b", input_tokens=1200, output_tokens=300, prices=PRICES)
    assert spent == Decimal(0)
    assert tokens("llama3.1:8b", "input") == before + 1200
    assert cost("llama3.1:8b", "input") == Decimal(0)


def test_a_decimal_counter_adds_tiny_amounts_exactly_and_exports_a_float() -> None:
    counter = DecimalCounter("test_spend_usd", "Test spend.", ["model"])
    for _ in range(100_000):
        counter.inc(Decimal("0.0000001"), model="m")
    assert counter.value(model="m") == Decimal("0.0100000")
    assert sum([0.0000001] * 100_000) != 0.01, "what float addition would have given"
    [family] = counter.collect()
    [sample] = family.samples
    assert (sample.name, sample.labels, sample.value) == ("test_spend_usd_total",
                                                          {"model": "m"}, 0.01)
    with pytest.raises(ValueError, match="only goes up"):
        counter.inc(Decimal("-1"), model="m")
