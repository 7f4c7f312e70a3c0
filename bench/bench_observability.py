"""What observability costs: masking a log line, writing it as JSON, the request context
middleware per request, a metric update and rendering `/metrics`.

Run from the repository root: `python bench/bench_observability.py [iterations]`
(default 20000). Everything runs in process with no I/O: log lines go to a memory buffer,
requests to a do-nothing ASGI app; the figures are CPU time (`process_time`), which a
busy machine disturbs less than wall time.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from figures import figure

from core.telemetry import context, metrics
from lendline.observability.logs import make_handler
from lendline.observability.masking import mask
from lendline.observability.middleware import RequestContext

LINES = [
    ("Job %s ended with status: %s, lasted %.3f s", ("handle_message[4521]", "Success", 0.84)),
    ("Call %s from %s is streaming", ("CA5f0e3c1d2b4a69788", "+18685550101")),
    ("Outbox %s attempt %s failed: %s", (17, 3, "Twilio error 30003: unreachable")),
    ("Refused a Twilio webhook to %s from %s: %s",
     ("https://lendline.example.com/channels/twilio/messaging", "10.0.0.7", "bad signature")),
    ("Knowledge base: %s", ("3 documents, 41 chunks, 0 changed",)),
    ("Customer %s born %s, national id %s", (42, "14/03/1985", "19850314007")),
]


def per_call(work: Callable[[], Any], n: int) -> float:
    """Microseconds per call of `work`, best of three runs of `n`."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            work()
        best = min(best, time.process_time() - started)
    return best / n * 1e6


def logging_costs(n: int) -> None:
    texts = [message % args for message, args in LINES]
    cycle = iter(range(10**12))
    masked = per_call(lambda: mask(texts[next(cycle) % len(texts)]), n)
    print(f"mask() of a typical log message:          {masked:7.2f} µs")
    figure("mask per message", round(masked, 2), "µs")

    logger = logging.getLogger("bench.observability")
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def emit() -> None:
        message, args = LINES[next(cycle) % len(LINES)]
        logger.info(message, *args)

    plain = logging.StreamHandler(io.StringIO())
    plain.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = make_handler("json", io.StringIO())
    costs = {}
    for name, handler in (("plain text, no filters", plain), ("JSON, context and masking", ours)):
        logger.handlers = [handler]
        with context.bound(request_id="4bf92f3577b34da6a3ce929d0e0e4736", conversation_id=42):
            costs[name] = per_call(emit, n)
            handler.stream.seek(0)  # type: ignore[attr-defined]
            handler.stream.truncate()  # type: ignore[attr-defined]
        print(f"a log line, {name + ':':35s} {costs[name]:7.2f} µs")
    extra = costs["JSON, context and masking"] - costs["plain text, no filters"]
    print(f"  added per line:                         {extra:7.2f} µs")
    figure("log line (JSON, masked)", round(costs["JSON, context and masking"], 2), "µs")
    figure("added per log line", round(extra, 2), "µs")


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def middleware_costs(n: int) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        pass

    class Route:
        path = "/channels/twilio/messaging"

    async def routed(scope: Any, receive: Any, send: Any) -> None:
        scope["route"] = Route
        await _nothing(scope, receive, send)

    def scope(path: str) -> dict[str, Any]:
        return {"type": "http", "method": "POST", "path": path,
                "headers": [(b"x-request-id", b"4bf92f3577b34da6a3ce929d0e0e4736")]}

    async def timed(app: Any, path: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(n):
                await app(scope(path), receive, send)
            best = min(best, time.process_time() - started)
        return best / n * 1e6

    bare = await timed(_nothing, "/healthz")
    wrapped = await timed(RequestContext(_nothing), "/healthz")
    webhook = await timed(RequestContext(routed), "/channels/twilio/messaging")
    print(f"request context middleware, per request:  {wrapped - bare:7.2f} µs")
    print(f"  on a webhook (with the histogram):      {webhook - bare:7.2f} µs")
    figure("middleware per request", round(wrapped - bare, 2), "µs")
    figure("middleware per webhook", round(webhook - bare, 2), "µs")


def metric_costs(n: int) -> None:
    turn = per_call(lambda: metrics.observe_turn("sms", "answered", 0.8), n)
    print(f"observe_turn():                           {turn:7.2f} µs")
    from prometheus_client import generate_latest
    render = per_call(lambda: generate_latest(metrics.REGISTRY), max(n // 100, 10))
    size = len(generate_latest(metrics.REGISTRY))
    print(f"rendering the process registry:           {render:7.0f} µs ({size:,} bytes)")
    figure("metrics render", round(render), "µs")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    logging_costs(n)
    asyncio.run(middleware_costs(n))
    metric_costs(n)


if __name__ == "__main__":
    main()
