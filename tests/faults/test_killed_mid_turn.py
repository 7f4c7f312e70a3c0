"""`lendline serve` killed (SIGKILL) in the middle of a turn, then started again on the same
database: the message's job is retried, the conversation continues from its checkpoint and
the reply reaches Twilio once.

The server is a real process with the in-process worker, its LLM the fake OpenAI server. The
fake holds the understanding request of the chosen message until the test has killed the
server, so the kill lands inside the turn's transaction every time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import Request

from channels.twilio.messaging import EMPTY_TWIML
from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, free_port
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_inbound.conftest import PUBLIC, form, number
from tests.faults.conftest import SMS_FROM, deliver, wait_for
from tests.faults.servers import Postgres, Redis

ROOT = Path(__file__).resolve().parents[2]
APPLY = "I want to apply for a loan"
PHONE = "+18685550199"  # no customer holds it
ASKED = "First I need to confirm who you are. What mobile number is registered with us?"
# The apply flow's answer to the number it asked for; without the checkpoint the same words
# would get "Sorry, I didn't understand that."
CONTINUED = "I can't find an account with that number. Please check it, or say 'talk to a person'."


def understand(text: str) -> dict[str, Any]:
    if text == APPLY:
        return {"intent": "apply", "slots": {}, "confidence": 0.95}
    return {"intent": "inform", "slots": {"phone": text}, "confidence": 0.95}


class StallingOpenAI(FakeOpenAI):
    """Holds the first request about `stall_on` until `release` is set; `held` says it came."""

    def __init__(self, stall_on: str) -> None:
        super().__init__(understand, lambda messages: "")
        self.stall_on = stall_on
        self.held = threading.Event()
        self.release = threading.Event()
        self.asked: list[str] = []
        self.base_url = ""

    async def _completions(self, request: Request) -> Any:
        body = await request.json()
        user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        self.asked.append(user)
        if user == self.stall_on and not self.held.is_set():
            self.held.set()
            await asyncio.to_thread(self.release.wait, 60)
        return await super()._completions(request)


class Serve:
    """`lendline serve` in its own process, on the given database and Redis."""

    def __init__(self, folder: Path, env: dict[str, str], port: int) -> None:
        self.folder, self.env, self.port = folder, env, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lendline.cli", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, timeout=120, what="lendline serve to start")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"lendline serve exited:\n{self.log()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def log(self) -> str:
        return (self.folder / f"serve-{self.starts}.log").read_text(errors="replace")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def fake_llm() -> Iterator[StallingOpenAI]:
    fake = StallingOpenAI(stall_on=PHONE)
    with Running(fake) as server:
        fake.base_url = server.base_url
        yield fake
        fake.release.set()


@pytest.fixture
def kill_redis(fault_root: Path) -> Iterator[Redis]:
    """A Redis of the test's own: the app of the other fault tests hears no nudge of ours."""
    folder = fault_root / "kill-redis"
    folder.mkdir()
    server = Redis(folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def serve(fault_root: Path, fault_postgres: Postgres, kill_redis: Redis, twilio: FakeTwilio,
          fake_llm: StallingOpenAI) -> Iterator[Serve]:
    folder = fault_root / "serve"
    folder.mkdir()
    env = {**os.environ, "DATABASE_URL": fault_postgres.migrated_database("killed"),
           "REDIS_URL": kill_redis.url(), "LENDLINE_DATA_DIR": str(folder / "data"),
           "LENDLINE_SECRET_KEY": "fault-secret-key-" + "x" * 32,
           "LENDLINE_PUBLIC_URL": PUBLIC, "LENDLINE_SEED_DEMO_DATA": "false",
           "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "LENDLINE_TWILIO_API_URL": twilio.url, "LENDLINE_TWILIO_SMS_FROM": SMS_FROM,
           "OPENAI_BASE_URL": fake_llm.base_url, "OPENAI_API_KEY": "fault-test-key",
           "LENDLINE_EMBEDDING_PROVIDER": "local"}
    server = Serve(folder, env, free_port())
    server.start()
    yield server
    server.stop()


def query(serve: Serve, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of `sql` (none for a statement) in the server's database."""
    with psycopg.connect(serve.env["DATABASE_URL"], autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def replies(serve: Serve, address: str) -> list[tuple[Any, ...]]:
    return query(serve, "SELECT status::text FROM outbox WHERE address = %(a)s ORDER BY id",
                 a=address)


def job_of(serve: Serve, sid: str) -> tuple[Any, ...]:
    [job] = query(serve, "SELECT status, worker_id, attempts FROM procrastinate_jobs "
                         "WHERE args->'message'->>'sid' = %(sid)s", sid=sid)
    return job


def said(serve: Serve, params: dict[str, str]) -> None:
    response = deliver(serve.url, params)
    assert (response.status_code, response.text) == (200, EMPTY_TWIML)


def test_a_turn_killed_midway_is_retried_after_a_restart_and_answered_once(
        serve: Serve, fake_llm: StallingOpenAI, twilio: FakeTwilio) -> None:
    sender = number(601)
    first = form(sender, APPLY)
    said(serve, first)
    wait_for(lambda: len(twilio.to(sender)) == 1, timeout=60,
             what="the answer to the first message")
    assert twilio.to(sender)[0]["Body"] == ASKED

    second = form(sender, PHONE)
    said(serve, second)
    assert fake_llm.held.wait(60), "the second turn never asked the model"
    serve.kill()
    fake_llm.release.set()
    status, dead_worker, _ = job_of(serve, second["MessageSid"])
    assert status == "doing"
    assert query(serve, "SELECT id FROM conversation_messages WHERE provider_message_id = "
                        "%(sid)s", sid=second["MessageSid"]) == []

    serve.start()
    # The dead worker's heartbeat ages past procrastinate's 30 s stalled-worker timeout (as
    # if that long had passed); the restarted worker's next look for stalled jobs finds it.
    query(serve, "UPDATE procrastinate_workers SET last_heartbeat = now() - interval "
                 "'1 minute' WHERE id = %(id)s", id=dead_worker)
    wait_for(lambda: job_of(serve, second["MessageSid"])[0] == "succeeded", timeout=60,
             what="the retried job")
    wait_for(lambda: replies(serve, sender) == [("sent",), ("sent",)], timeout=60,
             what="the answer to the second message")
    assert [message["Body"] for message in twilio.to(sender)] == [ASKED, CONTINUED]
    assert fake_llm.asked.count(PHONE) == 2  # the killed attempt and the retry
    assert query(serve, "SELECT count(*) FROM conversation_messages WHERE "
                        "provider_message_id = %(sid)s", sid=second["MessageSid"]) == [(1,)]
