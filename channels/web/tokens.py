"""Web chat session tokens: the page keeps one to resume its conversation after a reload.

A token is `<session id>.<signature>`: the session id is random and is the conversation's
address on the web channel; the signature (HMAC-SHA256 under a key derived from the app's
secret) proves we issued it, so a client cannot pick, guess or forge someone else's session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
_PURPOSE = b"lendline web chat session v1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SessionTokens:
    """Issues and checks web chat session tokens under the app's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()

    def _sign(self, session_id: str) -> str:
        return _b64(hmac.new(self._key, session_id.encode(), hashlib.sha256).digest())

    def issue(self) -> tuple[str, str]:
        """A new (session id, token) pair."""
        session_id = secrets.token_urlsafe(24)
        return session_id, f"{session_id}.{self._sign(session_id)}"

    def session_id(self, token: str) -> str | None:
        """The session id the token carries, or None when we did not issue it."""
        session_id, _, signature = token.partition(".")
        if not _SESSION_ID.fullmatch(session_id) or not signature:
            return None
        if not hmac.compare_digest(signature, self._sign(session_id)):
            return None
        return session_id
