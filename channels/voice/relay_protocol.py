"""ConversationRelay's websocket messages: what Twilio sends us and what we send back.

Twilio sends `setup` once, then `prompt` (the caller's words; the final transcript of an
utterance has `last` true), `interrupt` (the caller spoke over us, with what they had heard),
`dtmf` (one key per message) and `error`. We send `text` tokens (the last one of a reply has
`last` true) and `end`, whose `handoffData` (a JSON string) reaches the `<Connect action>`
webhook. A frame that is not a JSON object, has a type we do not know, or lacks what its
type needs raises `BadFrame` saying which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KEYS = frozenset("0123456789*#")


class BadFrame(ValueError):
    """A websocket frame that is not a ConversationRelay message we can act on."""


@dataclass(frozen=True, slots=True)
class Setup:
    call_sid: str
    caller: str
    called: str
    custom: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    last: bool = True
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Interrupt:
    heard: str
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str


@dataclass(frozen=True, slots=True)
class Error:
    description: str


Message = Setup | Prompt | Interrupt | Dtmf | Error


def _text(frame: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = frame.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadFrame(f"a {frame['type']} message needs '{name}' as text")
    return value


def parse(raw: str) -> Message:
    """One frame from Twilio as a message; `BadFrame` when it is not one we can act on."""
    try:
        frame = json.loads(raw)
    except ValueError:
        raise BadFrame("the frame is not JSON") from None
    except RecursionError:
        raise BadFrame("the frame is nested too deeply") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame("the frame is not a JSON object with a 'type'")
    kind = frame["type"]
    if kind == "setup":
        custom = frame.get("customParameters") or {}
        if not isinstance(custom, dict):
            raise BadFrame("a setup message's 'customParameters' must be an object")
        return Setup(call_sid=_text(frame, "callSid"), caller=_text(frame, "from"),
                     called=_text(frame, "to", required=False), custom=custom)
    if kind == "prompt":
        text = frame.get("voicePrompt")
        if not isinstance(text, str) or not text.strip():
            raise BadFrame("a prompt message without text ('voicePrompt')")
        last = frame.get("last", True)
        if not isinstance(last, bool):
            raise BadFrame("a prompt message's 'last' must be true or false")
        return Prompt(text=text.strip(), last=last, lang=_text(frame, "lang", required=False))
    if kind == "interrupt":
        duration = frame.get("durationUntilInterruptMs")
        return Interrupt(heard=_text(frame, "utteranceUntilInterrupt", required=False),
                         duration_ms=duration if isinstance(duration, int) else None)
    if kind == "dtmf":
        digit = _text(frame, "digit")
        if digit not in KEYS:
            raise BadFrame(f"'{digit[:10]}' is not a phone key")
        return Dtmf(digit)
    if kind == "error":
        return Error(_text(frame, "description", required=False))
    raise BadFrame(f"'{kind[:40]}' is not a message type we know")


def text(token: str, *, last: bool) -> str:
    """Words for Twilio to speak; `last` ends the reply (the talk cycle)."""
    return json.dumps({"type": "text", "token": token, "last": last})


def end(handoff: Mapping[str, Any]) -> str:
    """End the session; Twilio posts `handoff` (as JSON) to the `<Connect action>` URL."""
    return json.dumps({"type": "end", "handoffData": json.dumps(dict(handoff))})
