"""A request's transaction commits before its response leaves: a browser that follows the
redirect after signing in (or enrolling a second factor) must find the new session."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from admin.deps import SessionDep


class RecordingSession:
    """Stands in for an AsyncSession and notes when its transaction ends."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def __aenter__(self) -> RecordingSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        yield
        self.events.append("committed")


async def test_the_unit_of_work_commits_before_the_response_is_sent() -> None:
    events: list[str] = []
    app = FastAPI()
    app.state.session_factory = lambda: RecordingSession(events)

    @app.post("/change")
    async def change(session: SessionDep) -> dict[str, str]:
        events.append("handled")
        return {"done": "yes"}

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                events.append("response")
            await send(message)

        await app(scope, receive, noting)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=watched),
                                 base_url="https://test") as client:
        assert (await client.post("/change")).json() == {"done": "yes"}
    assert events == ["handled", "committed", "response"]
