"""What the voice webhooks and sockets share: their paths, public URLs and caller addresses."""

from __future__ import annotations

import re
from urllib.parse import urlencode

PREFIX = "/channels/voice"
INCOMING_PATH = f"{PREFIX}/incoming"
SESSION_ENDED_PATH = f"{PREFIX}/session-ended"
FALLBACK_PATH = f"{PREFIX}/fallback"
RELAY_PATH = f"{PREFIX}/relay"
STREAM_PATH = f"{PREFIX}/stream"

_E164 = re.compile(r"\+[1-9]\d{6,14}")


def http_url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}"


def websocket_base(base_url: str) -> str:
    """The public base URL for websockets: https becomes wss, http becomes ws."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"


def relay_url(base_url: str, *, caller: str, call_sid: str) -> str:
    """The relay socket for one call. Twilio signs the URL it opens, so naming the call and
    the caller here binds the socket to what the signed incoming webhook said."""
    query = urlencode({"caller": caller, "call": call_sid})
    return f"{websocket_base(base_url)}{RELAY_PATH}?{query}"


def caller_address(caller: str, call_sid: str) -> str:
    """The conversation address of a call: the caller's E.164 number, or, for a withheld or
    non-phone caller ("anonymous", a SIP or client identity), one address per call, so
    that unknown callers never share a conversation."""
    return caller if _E164.fullmatch(caller) else f"unknown:{call_sid}"
