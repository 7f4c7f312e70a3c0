"""Download the media of an inbound message from Twilio, checked before anyone keeps it.

Twilio serves media at `MediaUrlN` on its REST API behind the account's credentials and
redirects to its CDN. Credentials go only to the Twilio API host (httpx drops them on a
redirect to another host). A file is kept only if its declared type is one the lender
accepts (PDF, JPEG, PNG), its first bytes match that type, and it is no larger than an
application document may be; the download stops as soon as it passes that size. A refused
file is reported with the reason to tell the sender. A failure that may pass (Twilio
unreachable or answering 5xx) raises `MediaUnavailable` so the job is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx

from channels.twilio.inbound import Media
from core.applications.documents import CONTENT_SIGNATURES
from core.applications.models import MAX_DOCUMENT_BYTES

log = logging.getLogger(__name__)

TWILIO_API: Final = "https://api.twilio.com"
EXTENSIONS: Final = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
ACCEPTED: Final = "a PDF, JPEG or PNG"
TRANSIENT: Final = frozenset({408, 425, 429})
NOT_DOWNLOADED: Final = "it could not be downloaded; please send it again"


class MediaUnavailable(Exception):
    """Twilio could not serve the media just now; try the whole message again later."""


@dataclass(frozen=True, slots=True)
class File:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Refused:
    content_type: str
    reason: str  # a sentence for the sender: "it is 12.5 MB; the limit is 10 MB"


@dataclass(frozen=True, slots=True)
class Fetched:
    files: tuple[File, ...] = ()
    refused: tuple[Refused, ...] = ()


@dataclass(frozen=True, slots=True)
class MediaSource:
    """Where and as whom to fetch media: the account's SID and auth token."""

    account_sid: str
    auth_token: str
    api_url: str = TWILIO_API
    timeout_seconds: float = 20.0

    def trusted(self, url: str) -> bool:
        api, target = urlsplit(self.api_url), urlsplit(url)
        return (target.scheme, target.netloc) == (api.scheme, api.netloc)

    async def fetch(self, media: Sequence[Media]) -> Fetched:
        """Every item of `media`, downloaded and checked, or refused with a reason."""
        files: list[File] = []
        refused: list[Refused] = []
        async with httpx.AsyncClient(
            auth=(self.account_sid, self.auth_token), follow_redirects=True,
            timeout=self.timeout_seconds,
        ) as client:
            for item in media:
                outcome = await self._one(client, item)
                if isinstance(outcome, File):
                    files.append(outcome)
                else:
                    refused.append(outcome)
        return Fetched(tuple(files), tuple(refused))

    async def _one(self, client: httpx.AsyncClient, item: Media) -> File | Refused:
        kind = item.content_type
        if kind not in CONTENT_SIGNATURES:
            return Refused(kind, f"only {ACCEPTED} can be accepted")
        if not self.trusted(item.url):
            return Refused(kind, "it did not come from our messaging provider")
        try:
            async with client.stream("GET", item.url) as response:
                if response.status_code >= 500 or response.status_code in TRANSIENT:
                    raise MediaUnavailable(f"Twilio answered {response.status_code} for media.")
                if response.status_code != 200:
                    log.warning("Twilio answered %s for media %s", response.status_code,
                                item.url)
                    return Refused(kind, NOT_DOWNLOADED)
                content = await _capped(response)
        except httpx.TransportError as error:
            raise MediaUnavailable(f"Twilio's media could not be fetched: {error}") from error
        if content is None:
            return Refused(kind, f"it is over the {MAX_DOCUMENT_BYTES // 1024 // 1024} MB limit")
        if not content:
            return Refused(kind, "it is empty")
        if not content.startswith(CONTENT_SIGNATURES[kind]):
            return Refused(kind, f"its content is not {ACCEPTED} as it claims")
        name = urlsplit(item.url).path.rstrip("/").rsplit("/", 1)[-1] or "media"
        return File(f"{name}.{EXTENSIONS[kind]}", kind, content)


async def _capped(response: httpx.Response) -> bytes | None:
    """The body, or None as soon as it is known to exceed the document size limit."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
        return None
    content = bytearray()
    async for chunk in response.aiter_bytes():
        content += chunk
        if len(content) > MAX_DOCUMENT_BYTES:
            return None
    return bytes(content)
