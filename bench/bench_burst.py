"""A burst of inbound WhatsApp and SMS messages: every one answered, once, in order, and how fast.

Starts `lendline serve` as a separate process (see `bench/serving.py`) on a scratch embedded
PostgreSQL and Redis with the demo lender, the offline understander, Twilio credentials and a
fake Twilio REST API in this process for the replies (`tests/load/burst.py`'s `TimedTwilio`).
Optionally starts `--workers N` extra `lendline worker` processes on the same queue besides
the server's in-process worker; every worker runs `--concurrency` jobs at once.

Then `--borrowers` borrowers post `--messages` signed webhooks to /channels/twilio/messaging,
each borrower its messages one after another, all borrowers at once, `--in-flight` requests
open at most. It waits until every message's job has run and every reply has been accepted
by the fake Twilio, checks with `tests/load/burst.py`'s `check` that each message was
answered exactly once and in the order its borrower sent it, and prints:

- acknowledged messages per second and p50/p95/p99 acknowledgement time;
- answered messages per second, from the first POST to the last reply Twilio accepted;
- p50/p95 answer time: from posting a message to Twilio accepting its reply (in a burst,
  mostly time spent queued behind the messages posted before it);
- the CPU time the server and worker processes spent per message (acknowledging, the
  agent's turn, sending the reply; PostgreSQL's own is not counted), which other load on
  the machine inflates far less than wall time;
- the machine's load average, which sets most of these figures on a shared machine.

It exits 1, naming each problem, if a message was lost, answered twice or out of order.
Run from the repository root: `python bench/bench_burst.py [--messages 2000]
[--borrowers 300] [--in-flight 32] [--workers 0] [--concurrency 4]`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure
from bench.serving import (
    PUBLIC,
    SID,
    TOKEN,
    Stack,
    cpu_seconds,
    load_average,
    percentile,
    scratch_stack,
)
from tests.channels.fake_twilio import running
from tests.load import burst

WARM_UP = (60, 20)  # messages, borrowers: the first turns pay for imports and caches


@dataclass(frozen=True)
class Run:
    senders: list[burst.Borrower]
    posted: list[burst.Posted]
    acked_in: float  # seconds from the first POST to the last acknowledgement
    answered_in: float  # ... to the last reply accepted by Twilio
    cpu_seconds: float  # of the server and worker processes


def run_burst(url: str, stack: Stack, processes: list[subprocess.Popen[bytes]], *,
              messages: int, borrowers: int, in_flight: int, first_number: int) -> Run:
    """Post a burst and wait until every message is answered and every reply sent."""
    senders = burst.borrowers(messages, borrowers, auth_token=TOKEN,
                              signed_url=PUBLIC + burst.PATH, account_sid=SID,
                              first_number=first_number)
    cpu = sum(cpu_seconds(process.pid) for process in processes)
    started = time.perf_counter()
    posted = asyncio.run(burst.post_burst(url, senders, in_flight=in_flight))
    acknowledged = time.perf_counter()
    done = burst.wait_settled(stack.database_url, timeout=3600)
    cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu
    return Run(senders, posted, acknowledged - started, done - started, cpu)


def report(args: argparse.Namespace, run: Run, outcome: burst.Outcome) -> None:
    acks = [item.ack_seconds for item in run.posted]
    answers = outcome.answer_seconds
    cpu_each = run.cpu_seconds * 1000 / args.messages
    print(f"{args.messages} messages from {args.borrowers} borrowers, {args.in_flight} in "
          f"flight; serve's worker + {args.workers} worker processes "
          f"(concurrency {args.concurrency})")
    print(f"  acknowledged: {args.messages / run.acked_in:,.1f} messages/s; ack time p50 "
          f"{percentile(acks, 0.50):.0f} ms, p95 {percentile(acks, 0.95):.0f} ms, "
          f"p99 {percentile(acks, 0.99):.0f} ms")
    print(f"  answered: {args.messages / run.answered_in:,.1f} messages/s ({run.answered_in:.0f}"
          f" s for all); answer time p50 {percentile(answers, 0.50) / 1000:.1f} s, "
          f"p95 {percentile(answers, 0.95) / 1000:.1f} s")
    print(f"  server and worker CPU per message: {cpu_each:.0f} ms")
    print(f"  {outcome.replies} replies in {outcome.parts} Twilio messages, "
          f"{outcome.failed_jobs} failed jobs; load average after: {load_average()}")
    figure("acknowledged", round(args.messages / run.acked_in, 1), "messages/s")
    figure("ack p95", round(percentile(acks, 0.95)), "ms")
    figure("answered", round(args.messages / run.answered_in, 1), "messages/s")
    figure("answer p95", round(percentile(answers, 0.95) / 1000, 1), "s")
    figure("CPU per message", round(cpu_each), "ms")
    figure("lost, duplicated or out of order", len(outcome.problems))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--borrowers", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0,
                        help="extra `lendline worker` processes besides serve's own worker")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="jobs each worker runs at once (LENDLINE_WORKER_CONCURRENCY)")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    url = f"http://127.0.0.1:{args.port}"
    with (scratch_stack("ll-bb-") as stack,
          running(burst.TimedTwilio(SID, TOKEN)) as twilio):
        extra = {"LENDLINE_TWILIO_API_URL": twilio.url,
                 "LENDLINE_TWILIO_SMS_FROM": burst.LENDER_NUMBER,
                 "LENDLINE_TWILIO_WHATSAPP_FROM": burst.LENDER_NUMBER,
                 "LENDLINE_MESSAGES_PER_MINUTE": "1000",
                 "LENDLINE_WORKER_CONCURRENCY": str(args.concurrency)}
        server = stack.serve(args.port, worker=True, extra=extra)
        print("starting lendline serve (migrations, demo seed, knowledge base)…")
        stack.wait_healthy(url, server)
        processes = [server, *(stack.worker(index, concurrency=args.concurrency, extra=extra)
                               for index in range(args.workers))]
        run_burst(url, stack, processes, messages=WARM_UP[0], borrowers=WARM_UP[1],
                  in_flight=args.in_flight, first_number=7_900_000)
        print(f"load average before the burst: {load_average()}")
        run = run_burst(url, stack, processes, messages=args.messages,
                        borrowers=args.borrowers, in_flight=args.in_flight,
                        first_number=7_000_000)
        outcome = burst.check(stack.database_url, run.senders, run.posted, twilio)
        report(args, run, outcome)
        for problem in outcome.problems[:20]:
            print(f"  PROBLEM {problem}")
        if outcome.problems:
            print(f"  {len(outcome.problems)} problems: lost, duplicated or out-of-order replies")
            return 1
        print("  every message answered exactly once, in order")
        return 0


if __name__ == "__main__":
    sys.exit(main())
