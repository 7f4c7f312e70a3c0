"""The log context of the work in hand: which request, conversation and channel it is for.

Values live in context variables, so each asyncio task sees its own: every HTTP request,
websocket, job and call runs in a task of its own, and a task started from one inherits a
copy of its context. The logging setup (`lendline.observability.logs`) adds them to every
record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
conversation_id: ContextVar[int | None] = ContextVar("conversation_id", default=None)
channel: ContextVar[str | None] = ContextVar("channel", default=None)

_VARIABLES: dict[str, ContextVar[Any]] = {
    "request_id": request_id, "conversation_id": conversation_id, "channel": channel,
}


def bind(**values: Any) -> None:
    """Set `request_id`, `conversation_id` or `channel` for the rest of the current task."""
    _set(values)


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Set the values for the block only (the caller's task goes on without them)."""
    tokens = _set(values)
    try:
        yield
    finally:
        for name, token in tokens:
            _VARIABLES[name].reset(token)


def current() -> dict[str, Any]:
    """The values set in this task, without the unset ones."""
    values = {name: variable.get() for name, variable in _VARIABLES.items()}
    return {name: value for name, value in values.items() if value is not None}


def _set(values: dict[str, Any]) -> list[tuple[str, Token[Any]]]:
    unknown = set(values) - set(_VARIABLES)
    if unknown:
        raise TypeError(f"Not a log context value: {', '.join(sorted(unknown))}.")
    return [(name, _VARIABLES[name].set(value)) for name, value in values.items()]
