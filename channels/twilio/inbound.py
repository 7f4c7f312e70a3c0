"""Twilio's inbound message webhook, form fields in, one typed `InboundMessage` out.

The same form arrives for WhatsApp and SMS; the sender's `whatsapp:` prefix says which.
Only the fields we use are read and checked; any others Twilio adds are ignored. A form
that cannot be a message Twilio sent (no SID, a sender that is not a phone number, a body
longer than Twilio allows, control characters, nothing at all in it, media without a URL)
raises `MalformedMessage` with a message saying what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import phonenumbers

MAX_BODY: Final = 1_600
MAX_MEDIA: Final = 10
ALLOWED_CONTROLS: Final = frozenset("\t\n\r")
_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_WA_ID = re.compile(r"^[0-9]{7,15}$")
_COUNT = re.compile(r"[0-9]{1,3}")  # ASCII only: str.isdigit() also takes "²", which int() refuses

ChannelName = Literal["whatsapp", "sms"]


class MalformedMessage(ValueError):
    """The webhook's form is not a message Twilio could have sent; the text says why."""


@dataclass(frozen=True, slots=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One inbound WhatsApp or SMS message; `address` is the bare E.164 number."""

    sid: str
    channel: ChannelName
    address: str
    body: str = ""
    profile_name: str | None = None
    wa_id: str | None = None
    media: tuple[Media, ...] = ()

    @property
    def meta(self) -> dict[str, str]:
        """What the transcript keeps about the sender beyond the number."""
        return {key: value for key, value in (("profile_name", self.profile_name),
                                              ("wa_id", self.wa_id)) if value}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InboundMessage:
        media = tuple(Media(**item) for item in data.get("media", ()))
        return cls(**{**data, "media": media})


def parse_sender(value: str) -> tuple[ChannelName, str]:
    """`whatsapp:+18685550101` → ("whatsapp", "+18685550101"); `+18685550101` → ("sms", …)."""
    raw = value.strip()
    channel: ChannelName = "sms"
    if raw.lower().startswith("whatsapp:"):
        channel, raw = "whatsapp", raw[len("whatsapp:"):]
    if not _E164.match(raw) or not _possible(raw):
        raise MalformedMessage(
            f"From {value!r} is not a phone number in E.164 form, like +18685550101 or "
            "whatsapp:+18685550101.")
    return channel, raw


def _possible(e164: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False


def check_body(body: str) -> str:
    """The body as sent, if it is at most `MAX_BODY` characters without control characters
    (tabs and line breaks are text)."""
    if len(body) > MAX_BODY:
        raise MalformedMessage(
            f"Body is {len(body):,} characters; a message can be at most {MAX_BODY:,}.")
    for position, char in enumerate(body):
        if unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS:
            raise MalformedMessage(
                f"Body contains the control character U+{ord(char):04X} at position "
                f"{position + 1}; only text, tabs and line breaks are accepted.")
    return body


def _media(form: Mapping[str, str]) -> tuple[Media, ...]:
    raw = form.get("NumMedia", "0").strip() or "0"
    if not _COUNT.fullmatch(raw) or int(raw) > MAX_MEDIA:
        raise MalformedMessage(
            f"NumMedia {raw!r} is not a number of attachments from 0 to {MAX_MEDIA}.")
    media = []
    for index in range(int(raw)):
        url = form.get(f"MediaUrl{index}", "").strip()
        parts = urlsplit(url)
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            problem = "not a URL" if url else "missing"
            raise MalformedMessage(f"NumMedia is {raw} but MediaUrl{index} is {problem}.")
        kind = form.get(f"MediaContentType{index}", "").split(";")[0].strip().lower()
        media.append(Media(url=url, content_type=kind or "application/octet-stream"))
    return tuple(media)


def _printable(value: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """The message in a signed webhook's form; `MalformedMessage` says what is wrong with it."""
    sid = form.get("MessageSid", "").strip()
    if not sid:
        raise MalformedMessage("MessageSid is missing: this is not a Twilio message webhook.")
    if not _SID.match(sid):
        raise MalformedMessage(f"MessageSid {sid[:50]!r} is not a Twilio message SID.")
    sender = form.get("From", "")
    if not sender.strip():
        raise MalformedMessage("From is missing: the message needs its sender's number.")
    channel, address = parse_sender(sender)
    body = check_body(form.get("Body", ""))
    media = _media(form)
    if not body.strip() and not media:
        raise MalformedMessage("The message has no text and no media.")
    wa_id = form.get("WaId", "").strip()
    return InboundMessage(
        sid=sid, channel=channel, address=address, body=body,
        profile_name=_printable(form.get("ProfileName", ""))[:100] or None,
        wa_id=wa_id if _WA_ID.match(wa_id) else None, media=media,
    )
