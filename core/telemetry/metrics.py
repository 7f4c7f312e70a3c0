"""The process's Prometheus instruments, in one registry that `/metrics` exposes.

Layers record what happened through the functions here (a turn, a webhook, a failed
delivery, the tokens of an LLM call); gauges read from the database at scrape time are the
web layer's (`lendline.observability.state`). Every value is this process's own: each
replica (app or worker) is scraped separately and Prometheus adds them up.

Label values come from short closed sets (channels, outcomes, route templates, status
codes, configured models), never from user input, so the number of series stays bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Final

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY: Final = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

TOKENS_PER_PRICE: Final = Decimal(1_000_000)  # prices are per million tokens
DELIVERY_CHANNELS: Final = ("sms", "whatsapp")

TURN_SECONDS: Final = Histogram(
    "lendline_turn_duration_seconds",
    "Time from a borrower's message to the agent's replies being queued, by channel and "
    "outcome (answered, escalated, duplicate, rejected, error).",
    ["channel", "outcome"], registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60),
)
WEBHOOK_SECONDS: Final = Histogram(
    "lendline_webhook_ack_seconds",
    "Time to acknowledge a provider's webhook (Twilio, payments), by route and HTTP status; "
    "its _count is the number of webhooks.",
    ["endpoint", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
OUTBOX_FAILURES: Final = Counter(
    "lendline_outbox_delivery_failures",
    "Outbox messages that failed for good (refused, undeliverable, out of attempts).",
    ["channel"], registry=REGISTRY,
)
LLM_TOKENS: Final = Counter(
    "lendline_llm_tokens",
    "Tokens the LLM reported using, by model and kind (input, output).",
    ["model", "kind"], registry=REGISTRY,
)
for _channel in DELIVERY_CHANNELS:
    OUTBOX_FAILURES.labels(channel=_channel)


class DecimalCounter(Collector):
    """A counter kept in `Decimal` and turned into a float only when it is exported, so
    many tiny amounts (a fraction of a cent per LLM call) add up exactly."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames = tuple(labelnames)
        self._totals: dict[tuple[str, ...], Decimal] = {}
        self._lock = threading.Lock()

    def inc(self, amount: Decimal, **labels: str) -> None:
        if amount < 0:
            raise ValueError("A counter only goes up.")
        key = tuple(labels[name] for name in self.labelnames)
        with self._lock:
            self._totals[key] = self._totals.get(key, Decimal(0)) + amount

    def value(self, **labels: str) -> Decimal:
        return self._totals.get(tuple(labels[name] for name in self.labelnames), Decimal(0))

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        with self._lock:
            totals = list(self._totals.items())
        for key, total in totals:
            family.add_metric(list(key), float(total))
        return [family]


LLM_COST_USD: Final = DecimalCounter(
    "lendline_llm_cost_usd",
    "What the LLM's tokens cost in US dollars by the configured price table (LENDLINE_LLM_PRICES), "
    "by model and kind; a model without a price adds nothing.",
    ["model", "kind"],
)
REGISTRY.register(LLM_COST_USD)


def observe_turn(channel: str, outcome: str, seconds: float) -> None:
    """Record one turn of the agent: `outcome` is answered, escalated, duplicate, rejected
    or error."""
    TURN_SECONDS.labels(channel=channel, outcome=outcome).observe(seconds)


def observe_webhook(endpoint: str, status: int, seconds: float) -> None:
    """Record one webhook acknowledged with `status` after `seconds`; `endpoint` is the
    route's path template, never the raw URL."""
    WEBHOOK_SECONDS.labels(endpoint=endpoint, status=str(status)).observe(seconds)


def count_delivery_failure(channel: str) -> None:
    """One outbox message on `channel` failed for good."""
    OUTBOX_FAILURES.labels(channel=channel).inc()


def price_for(
    model: str, prices: Mapping[str, Mapping[str, Decimal]],
) -> Mapping[str, Decimal] | None:
    """The prices of `model`: its own entry, else the longest entry it starts with (a dated
    release such as "gpt-4o-mini-2024-07-18" takes the price of "gpt-4o-mini")."""
    if model in prices:
        return prices[model]
    family = max((name for name in prices if model.startswith(name)), key=len, default=None)
    return None if family is None else prices[family]


def record_llm_usage(
    model: str, *, input_tokens: int, output_tokens: int,
    prices: Mapping[str, Mapping[str, Decimal]],
) -> Decimal:
    """Count one LLM call's tokens and add their cost; returns the cost in US dollars.

    `prices` maps a model to its US dollar price per million tokens of each kind
    (`{"gpt-4o-mini": {"input": Decimal("0.15"), "output": Decimal("0.60")}}`).
    """
    price = price_for(model, prices) or {}
    cost = Decimal(0)
    for kind, tokens in (("input", input_tokens), ("output", output_tokens)):
        if tokens <= 0:
            continue
        LLM_TOKENS.labels(model=model, kind=kind).inc(tokens)
        if kind in price:
            amount = tokens * price[kind] / TOKENS_PER_PRICE
            LLM_COST_USD.inc(amount, model=model, kind=kind)
            cost += amount
    return cost
