"""One live app for the package, signed Twilio webhooks, and a fake Twilio serving media.

The app believes it is reached at `PUBLIC` (behind a proxy): webhooks are signed for that
URL and posted to the local port, as Twilio's would be through a proxy. Its Twilio REST base
is `FakeTwilio`, which serves media behind the account's credentials and redirects to a
"CDN" on another host (localhost instead of 127.0.0.1), as Twilio does.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app

PUBLIC = "https://lendline.example.com"
PATH = "/channels/twilio/messaging"
LIMIT = 5  # messages a minute per sender, low enough to flood in a test
UNKNOWN = "+18685559000"  # nobody's number: tests add a suffix digit to get their own
ASHA = "+18685550101"


@dataclass
class Served:
    content: bytes
    content_type: str
    status: int = 200
    failures: int = 0  # answer 500 this many times first


@dataclass
class FakeTwilio:
    port: int
    files: dict[str, Served] = field(default_factory=dict)
    seen: list[tuple[str, bool]] = field(default_factory=list)  # (path, had credentials)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def media(self, content: bytes, content_type: str, **options: Any) -> str:
        """Serve a file; returns its MediaUrl."""
        media_sid = "ME" + uuid.uuid4().hex
        self.files[media_sid] = Served(content, content_type, **options)
        return (f"{self.url}/2010-04-01/Accounts/{TWILIO_SID}/Messages/MM{uuid.uuid4().hex}"
                f"/Media/{media_sid}")


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            authorised = self.headers.get("Authorization") == expected
            fake.seen.append((self.path, "Authorization" in self.headers))
            media_sid = self.path.rsplit("/", 1)[-1]
            served = fake.files.get(media_sid)
            if served is None:
                return self._send(404, b"not found", "text/plain")
            if self.path.startswith("/cdn/"):
                return self._send(200, served.content, served.content_type)
            if not authorised:
                return self._send(401, b"credentials required", "text/plain")
            if served.failures:
                served.failures -= 1
                return self._send(500, b"try later", "text/plain")
            if served.status != 200:
                return self._send(served.status, b"gone", "text/plain")
            self.send_response(307)
            self.send_header("Location", f"http://localhost:{fake.port}/cdn/{media_sid}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="package")
def fake_twilio() -> Iterator[FakeTwilio]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeTwilio(port=server.server_address[1])
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def twilio_app(settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis,
               fake_twilio: FakeTwilio) -> Iterator[LiveApp]:
    with live_app(settings, postgres, embedded_redis, database="lendline_twilio_in",
                  public_url=PUBLIC, twilio_account_sid=TWILIO_SID,
                  twilio_auth_token=SecretStr(TWILIO_TOKEN), twilio_api_url=fake_twilio.url,
                  messages_per_minute=LIMIT) as live:
        yield live


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def number(suffix: int) -> str:
    """A number of our own that no customer holds."""
    return f"+1868555{9000 + suffix:04d}"


def form(sender: str, body: str = "hello", **fields: str) -> dict[str, str]:
    """A webhook form as Twilio sends it, with the fields we do not read too."""
    channel = "whatsapp:" if sender.startswith("whatsapp:") else ""
    sid = fields.pop("MessageSid", new_sid())
    return {
        "ToCountry": "TT", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
        "SmsStatus": "received", "To": f"{channel}+18685550000", "MessageSid": sid,
        "AccountSid": TWILIO_SID, "From": sender, "Body": body, "NumSegments": "1",
        "ApiVersion": "2010-04-01", **fields,
    }


def signature(params: dict[str, str], url: str = PUBLIC + PATH) -> str:
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(TWILIO_TOKEN).compute_signature(url, params))


def post(live: LiveApp, params: dict[str, str], *, signed: str | None = None) -> httpx.Response:
    """POST the form as Twilio would, signed for the public URL unless `signed` is given."""
    headers = {"X-Twilio-Signature": signature(params) if signed is None else signed}
    return httpx.post(f"{live.url}{PATH}", data=params, headers=headers, timeout=30)


def rows(live: LiveApp, sql: str, **params: Any) -> list[Any]:
    """Rows of a query on the app's database."""
    async def run() -> list[Any]:
        async with live.app.state.session_factory() as session:
            return list((await session.execute(text(sql), params)).all())
    result: list[Any] = live.run(run())
    return result


def wait_until(check: Callable[[], Any], *, timeout: float = 30) -> Any:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up waiting after {timeout} s")
        time.sleep(0.05)


def job_done(live: LiveApp, sid: str, *, timeout: float = 30) -> str:
    """Wait for the message's job(s) to finish; returns the last one's status."""
    def finished() -> str | None:
        found = rows(live, "SELECT status FROM procrastinate_jobs WHERE args->'message'->>'sid'"
                           " = :sid ORDER BY id", sid=sid)
        if found and all(row.status in ("succeeded", "failed") for row in found):
            return str(found[-1].status)
        return None
    result: str = wait_until(finished, timeout=timeout)
    return result


def jobs_for(live: LiveApp, sid: str) -> int:
    return len(rows(live, "SELECT id FROM procrastinate_jobs WHERE args->'message'->>'sid'"
                          " = :sid", sid=sid))


def inbound(live: LiveApp, sid: str) -> list[Any]:
    return rows(live, "SELECT m.body, m.intent, m.meta, c.channel, c.address, c.customer_id, "
                      "c.id AS conversation_id FROM conversation_messages m JOIN conversations "
                      "c ON c.id = m.conversation_id WHERE m.provider_message_id = :sid", sid=sid)


def replies(live: LiveApp, address: str, channel: str = "sms") -> list[Any]:
    """Outbox rows queued for (channel, address), oldest first."""
    return rows(live, "SELECT body, purpose FROM outbox WHERE address = :address AND "
                      "CAST(channel AS text) = :channel ORDER BY id",
                address=address, channel=channel)
