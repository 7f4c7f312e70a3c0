"""Inbound WhatsApp/SMS webhooks: acknowledgements per second, ack latency, answers per second.

Starts `lendline serve` as a separate process (so the client does not share its interpreter)
on a scratch embedded PostgreSQL and Redis, seeded with the demo lender, with Twilio
credentials set and the offline understander. The in-process job worker runs as it does
under `serve`. Then POSTs signed webhooks (real `X-Twilio-Signature`, as Twilio sends them)
to /channels/twilio/messaging from many senders at once, a fixed number in flight, and
prints:

- inbound messages acknowledged per second, and p50/p95/p99 acknowledgement time (client
  side, over a real socket, while the worker answers earlier messages in the same process);
- messages answered end to end per second: from the first POST until every message's job
  has run and queued the agent's reply in the outbox;
- for scale, the same figures for GET /healthz on the same server, the cheapest request the
  app answers (what the machine and the framework allow before our code runs);
- the server process's CPU time per request, which other load on the machine does not
  inflate the way it does wall time (PostgreSQL and Redis run in their own processes).

Run from the repository root: `python bench/bench_webhooks.py [--messages 3000]
[--senders 600] [--in-flight 32] [--no-worker]`. With `--no-worker` only the webhook runs
(the acknowledgement path alone) and nothing is answered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg
from twilio.request_validator import RequestValidator

from bench.figures import figure
from bench.serving import PUBLIC, SID, TOKEN, cpu_seconds, percentile, scratch_stack

PATH = "/channels/twilio/messaging"
TASK = "twilio_inbound:handle_message"
PROBES = 1000
QUESTIONS = ["hi", "what loans do you offer?", "what documents do I need to apply?",
             "how long does approval take", "thanks"]


def signed_forms(count: int, senders: int) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(TOKEN)
    forms = []
    for n in range(count):
        sender = f"+1868{7_000_000 + n % senders}"
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": SID,
                  "From": f"whatsapp:{sender}" if n % 2 else sender,
                  "To": "+18685550000", "Body": QUESTIONS[n // senders % len(QUESTIONS)],
                  "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
        forms.append((params, validator.compute_signature(PUBLIC + PATH, params)))
    return forms


async def post_all(url: str, forms: list[tuple[dict[str, str], str]] | int,
                   in_flight: int) -> tuple[list[float], float]:
    """POST every signed form (or GET /healthz that many times); latencies and wall time."""
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[dict[str, str], str] | None] = asyncio.Queue()
    for item in (forms if isinstance(forms, list) else [None] * forms):
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def sender() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                started = time.perf_counter()
                if item is None:
                    response = await client.get("/healthz")
                else:
                    response = await client.post(PATH, data=item[0],
                                                 headers={"X-Twilio-Signature": item[1]})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(in_flight)))
        return latencies, time.perf_counter() - started


def finished_jobs(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status IN "
            "('succeeded', 'failed')", (TASK,)).fetchone()
    return int(row[0]) if row else 0


def queued_replies(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FILTER (WHERE status = 'failed'), (SELECT count(*) FROM outbox) "
            "FROM procrastinate_jobs WHERE task_name = %s", (TASK,)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def wait_answered(database_url: str, total: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while finished_jobs(database_url) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Only {finished_jobs(database_url)} of {total} answered.")
        time.sleep(0.2)
    return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=600)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--no-worker", dest="worker", action="store_false")
    args = parser.parse_args()

    port = 8765
    with scratch_stack("ll-bw-") as stack:
        database_url = stack.database_url
        server = stack.serve(port, worker=args.worker,
                             extra={"LENDLINE_MESSAGES_PER_MINUTE": "1000"})
        url = f"http://127.0.0.1:{port}"
        print("starting lendline serve (migrations, demo seed, knowledge base)…")
        stack.wait_healthy(url, server)
        warm = signed_forms(200, 50)
        asyncio.run(post_all(url, warm, args.in_flight))
        if args.worker:
            wait_answered(database_url, len(warm), timeout=600)
        cpu = cpu_seconds(server.pid)
        probe, probe_elapsed = asyncio.run(post_all(url, PROBES, args.in_flight))
        cpu_probe = (cpu_seconds(server.pid) - cpu) * 1000 / PROBES
        print(f"for scale, GET /healthz on the same server: {PROBES / probe_elapsed:,.0f} "
              f"requests/s, p50 {percentile(probe, 0.50):.1f} ms, "
              f"p95 {percentile(probe, 0.95):.1f} ms, server CPU {cpu_probe:.2f} ms each")
        forms = signed_forms(args.messages, args.senders)
        cpu = cpu_seconds(server.pid)
        started = time.perf_counter()
        latencies, elapsed = asyncio.run(post_all(url, forms, args.in_flight))
        cpu_ack = (cpu_seconds(server.pid) - cpu) * 1000 / args.messages
        print(f"{args.messages} signed webhooks from {args.senders} senders, "
              f"{args.in_flight} in flight, worker {'on' if args.worker else 'off'}")
        print(f"  acknowledged: {args.messages / elapsed:,.0f} messages/s")
        print(f"  ack time: p50 {percentile(latencies, 0.50):.1f} ms, "
              f"p95 {percentile(latencies, 0.95):.1f} ms, "
              f"p99 {percentile(latencies, 0.99):.1f} ms")
        print(f"  server CPU per acknowledgement: {cpu_ack:.2f} ms"
              + (" (with the worker's turns)" if args.worker else ""))
        figure("acknowledged", round(args.messages / elapsed, 1), "messages/s")
        figure("ack p95", round(percentile(latencies, 0.95), 1), "ms")
        figure("server CPU per acknowledgement", round(cpu_ack, 2), "ms")
        if args.worker:
            done = wait_answered(database_url, len(warm) + args.messages, timeout=3600)
            failed, replies = queued_replies(database_url)
            print(f"  answered end to end: {args.messages / (done - started):,.1f} "
                  f"messages/s ({done - started:.1f} s for all; {failed} failed jobs, "
                  f"{replies} replies in the outbox)")
            figure("answered end to end", round(args.messages / (done - started), 1),
                   "messages/s")


if __name__ == "__main__":
    main()
