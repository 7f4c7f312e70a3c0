"""The web chat's wire format: JSON text frames with a `type`, both ways (docs/channels-web.md).

Client frames are parsed here into typed models, and anything else (not JSON, not an object,
an unknown type, a missing or malformed field, an oversized frame or message) becomes a
`FrameError` whose code and message go back to the page in an `error` frame. Server frames
are built by the small functions at the bottom, so every frame the server sends has one shape.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError

MAX_TEXT = 4_000  # characters a borrower may type in one message (the agent takes 16,000)
MAX_FRAME = 64 * 1024  # characters in one frame: room for MAX_TEXT fully JSON-escaped
CLIENT_ID = r"^[A-Za-z0-9_-]{1,64}$"

Frame = dict[str, Any]


class FrameError(Exception):
    """A frame the server refuses; `code` and `message` go back in an `error` frame."""

    def __init__(self, code: str, message: str, *, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


class Hello(BaseModel):
    """Opens the chat: with the token of an earlier session to resume it, or without."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["hello"]
    session: str | None = Field(default=None, max_length=200)


class Message(BaseModel):
    """Something the borrower typed; `id` is theirs, so a resend is answered once."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["message"]
    id: str = Field(pattern=CLIENT_ID)
    text: str


ClientFrame = Annotated[Hello | Message, Field(discriminator="type")]
_CLIENT = TypeAdapter(ClientFrame)
CLIENT_TYPES = ("hello", "message")


def _problems(error: PydanticError) -> str:
    described = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"][1:]) or "frame"
        if problem["type"] == "missing":
            described.append(f"'{field}' is missing")
        elif problem["type"] == "string_pattern_mismatch":
            described.append(f"'{field}' must be 1 to 64 letters, digits, '-' or '_'")
        else:
            described.append(f"'{field}': {problem['msg'].lower()}")
    return "; ".join(described)


def parse(raw: str) -> Hello | Message:
    """The client frame in `raw`, or a `FrameError` saying what is wrong with it."""
    if len(raw) > MAX_FRAME:
        raise FrameError("frame_too_large", f"A frame can be at most {MAX_FRAME:,} characters.")
    try:
        data = json.loads(raw)
    except ValueError:
        raise FrameError("invalid_json", "That frame is not valid JSON.") from None
    except RecursionError:
        raise FrameError("invalid_frame", "That frame is nested too deeply.") from None
    if not isinstance(data, dict):
        raise FrameError("invalid_frame", "A frame must be a JSON object with a 'type'.")
    ref = data.get("id") if isinstance(data.get("id"), str) else None
    kind = data.get("type")
    if kind is None:
        raise FrameError("invalid_frame", f"A frame needs a 'type': one of "
                         f"{', '.join(CLIENT_TYPES)}.", ref=ref)
    if kind not in CLIENT_TYPES:
        raise FrameError("unknown_type", f"Unknown frame type {kind!r}; send one of "
                         f"{', '.join(CLIENT_TYPES)}.", ref=ref)
    try:
        frame = _CLIENT.validate_python(data)
    except PydanticError as error:
        raise FrameError("invalid_frame", f"That {kind} frame is not valid: "
                         f"{_problems(error)}.", ref=ref) from None
    if isinstance(frame, Message):
        if len(frame.text) > MAX_TEXT:
            raise FrameError("message_too_long", f"A message can be at most {MAX_TEXT:,} "
                             f"characters; this one has {len(frame.text):,}.", ref=frame.id)
        if not frame.text.strip():
            raise FrameError("empty_message", "That message is empty.", ref=frame.id)
    return frame


STATE_MESSAGES = {
    "active": "You're chatting with our assistant.",
    "escalated": "A member of our team has your conversation and will reply here.",
    "closed": "This conversation has ended. Send a message to start a new one.",
}


def error(code: str, message: str, *, ref: str | None = None) -> Frame:
    frame: Frame = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["id"] = ref
    return frame


def welcome(*, token: str, lender: str, state: str, history: list[Frame]) -> Frame:
    return {"type": "welcome", "session": token, "lender": lender, "state": state,
            "state_message": STATE_MESSAGES[state], "history": history}


def typing(*, on: bool) -> Frame:
    return {"type": "typing", "on": on}


def token(*, turn: str, text: str) -> Frame:
    return {"type": "token", "turn": turn, "text": text}


def reply(*, message_id: int, author: str, text: str, at: dt.datetime,
          streamed: bool = False) -> Frame:
    return {"type": "reply", "id": message_id, "author": author, "text": text,
            "streamed": streamed, "at": at.isoformat()}


def ack(*, ref: str, duplicate: bool = False) -> Frame:
    return {"type": "ack", "id": ref, "duplicate": duplicate}


def status(*, state: str) -> Frame:
    return {"type": "status", "state": state, "message": STATE_MESSAGES[state]}
