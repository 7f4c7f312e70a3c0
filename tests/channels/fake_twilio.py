"""A local Twilio REST server for tests: the real `twilio` client talks HTTP to it.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` takes Twilio's form fields (`To`,
`From` or `MessagingServiceSid`, `Body` or `ContentSid` with `ContentVariables`,
`StatusCallback`), checks HTTP basic auth against the account's SID and auth token, and
answers 201 with the Message resource as Twilio writes it, or an error with Twilio's JSON
error body (`code`, `message`, `more_info`, `status`). Accepted messages are kept in
`messages`, every request in `requests`.

Scripting the next answers: `fail_next(500)`, `fail_next(429, code=20429)`,
`fail_next(400, code=21211, message=...)`; `slow_next(seconds)` accepts the message but
answers late (a client that times out never learns it was sent). `callback(message, status)`
posts a signed status callback to the message's StatusCallback, as Twilio does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class Answer:
    status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self.url = ""
        self.app = FastAPI()
        self.app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")(self._create)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self._script.clear()

    def fail_next(self, status: int, *, code: int | None = None, message: str = "",
                  times: int = 1) -> None:
        with self._lock:
            self._script.extend([Answer(status, code, message)] * times)

    def slow_next(self, seconds: float) -> None:
        with self._lock:
            self._script.append(Answer(delay=seconds))

    def to(self, address: str) -> list[dict[str, Any]]:
        """The messages accepted for `address` (`+1…` or `whatsapp:+1…`), in order."""
        return [message for message in self.messages if message["To"] == address]

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    @staticmethod
    def _error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={
            "code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"})

    async def _create(self, account_sid: str, request: Request) -> JSONResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        with self._lock:
            self.requests.append(form)
            answer = self._script.popleft() if self._script else Answer()
        if not self._authorised(request) or account_sid != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        if answer.status >= 400:
            return self._error(answer.status, answer.code or 20_000 + answer.status,
                               answer.message or "Scripted failure")
        if "To" not in form:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if "From" not in form and "MessagingServiceSid" not in form:
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body") and not form.get("ContentSid"):
            return self._error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        now = email.utils.formatdate(usegmt=True)
        resource = {
            "account_sid": self.account_sid, "api_version": "2010-04-01",
            "body": form.get("Body", ""), "date_created": now, "date_sent": None,
            "date_updated": now, "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
            "status": "accepted" if "MessagingServiceSid" in form else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
                                          f"{sid}/Media.json"},
            "to": form["To"], "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.append({**form, "sid": sid})
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return JSONResponse(status_code=201, content=resource)

    def callback(self, message: dict[str, Any], status: str, *, error_code: int | None = None,
                 token: str | None = None) -> httpx.Response:
        """Post a status callback for `message` (one of `messages`) signed as Twilio signs it
        (with `token`, another auth token, to forge one)."""
        url = message["StatusCallback"]
        params = {"MessageSid": message["sid"], "SmsSid": message["sid"],
                  "MessageStatus": status, "SmsStatus": status, "AccountSid": self.account_sid,
                  "From": message.get("From", ""), "To": message["To"],
                  "ApiVersion": "2010-04-01"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(token or self.auth_token).compute_signature(url, params)
        return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature})


@contextlib.contextmanager
def running(fake: FakeTwilio) -> Iterator[FakeTwilio]:
    """Serve `fake` on a free local port (its `url`) until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake Twilio server did not start")
        time.sleep(0.02)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
