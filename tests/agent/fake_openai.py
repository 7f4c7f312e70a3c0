"""A small OpenAI-compatible server for tests: the real `ChatOpenAI` client talks HTTP to it.

`/v1/chat/completions` answers a request that offers tools with a call to the first tool,
whose arguments `understand(text)` decides; any other request gets `answer(messages)` as
content, streamed as server-sent events when the client asks for a stream. Both report
token `usage` as OpenAI does (a stream only when asked, with `stream_options`). Every request
body is kept in `requests` so tests can check the wire format.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

Understand = Callable[[str], dict[str, Any]]
Answer = Callable[[list[dict[str, Any]]], str]
USAGE = {"prompt_tokens": 200, "completion_tokens": 30, "total_tokens": 230}  # of an answer


class FakeOpenAI:
    def __init__(self, understand: Understand, answer: Answer) -> None:
        self.understand = understand
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._completions)

    async def _completions(self, request: Request) -> Any:
        body = await request.json()
        self.requests.append(body)
        created = int(time.time())
        if body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
            call = {"id": "call_1", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(self.understand(user))}}
            return JSONResponse({
                "id": "chatcmpl-1", "object": "chat.completion", "created": created,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": None,
                                         "tool_calls": [call]}}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
            })
        text = self.answer(body["messages"])
        if not body.get("stream"):
            return JSONResponse({
                "id": "chatcmpl-2", "object": "chat.completion", "created": created,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": USAGE,
            })
        chunks = self._stream(text, body["model"], created)
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks = self._with_usage(chunks, body["model"], created)
        return StreamingResponse(chunks, media_type="text/event-stream")

    @staticmethod
    def _stream(text: str, model: str, created: int) -> Iterator[str]:
        for index, token in enumerate(text.split(" ")):
            piece = token if index == 0 else " " + token
            chunk = {"id": "chatcmpl-3", "object": "chat.completion.chunk", "created": created,
                     "model": model,
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk)}\n\n"
        done = {"id": "chatcmpl-3", "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield f"data: {json.dumps(done)}\n\n"
        yield "data: [DONE]\n\n"

    @staticmethod
    def _with_usage(chunks: Iterator[str], model: str, created: int) -> Iterator[str]:
        """`chunks` with the usage chunk OpenAI sends last when asked for it."""
        for chunk in chunks:
            if chunk == "data: [DONE]\n\n":
                usage = {"id": "chatcmpl-3", "object": "chat.completion.chunk",
                         "created": created, "model": model, "choices": [], "usage": USAGE}
                yield f"data: {json.dumps(usage)}\n\n"
            yield chunk


class Running:
    """The fake server on a free local port, in a background thread."""

    def __init__(self, fake: FakeOpenAI) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(fake.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
