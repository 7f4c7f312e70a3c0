"""Field-level encryption and keyed lookup hashes for sensitive values (identity numbers,
uploaded documents, two-factor secrets).

One application secret yields two independent keys through HKDF-SHA256 with distinct labels:
- an encryption key for Fernet (AES-128-CBC + HMAC-SHA256, random IV): the same value
  encrypts differently every time, so ciphertexts cannot be compared or searched;
- a lookup key for HMAC-SHA256 over a normalised value: deterministic, so an equality search
  can use an index on the hash, yet the hash reveals nothing without the secret.
Keeping the keys apart means a leaked lookup key does not decrypt anything.

Earlier secrets can be given as `previous_keys`: values encrypted under them still decrypt
(Fernet's MultiFernet), new values and lookup hashes use the current secret only, and
`rotate` re-encrypts a value under the current secret (see `core.privacy.rotation`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Sequence
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT: Final = b"lendline/field-cipher/v1"
_ENCRYPTION_LABEL: Final = b"field encryption"
_LOOKUP_LABEL: Final = b"lookup hash"
_SEPARATORS: Final = str.maketrans("", "", " -./_\t")


class CipherError(Exception):
    """A stored value cannot be decrypted: the wrong secret key, or corrupted data.

    Not a `DomainError`: no borrower or staff input causes it; it is an operations fault.
    """


def normalise_identifier(value: str) -> str:
    """The canonical form a lookup hash is computed over.

    Unicode NFKC, upper case, with spaces, hyphens, dots, slashes and underscores removed:
    "ab 12-345" and "AB12345" are the same identifier.
    """
    return unicodedata.normalize("NFKC", value).upper().translate(_SEPARATORS)


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=label).derive(secret)


class FieldCipher:
    """Encrypts field values and computes their lookup hashes from one secret key.

    `previous_keys` are earlier secrets, kept only so values encrypted under them still
    decrypt until they are rotated.
    """

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        if any(len(key) < 16 for key in (secret_key, *previous_keys)):
            raise ValueError("The field cipher needs a secret key of at least 16 characters.")
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(key.encode(), _ENCRYPTION_LABEL)))
                   for key in (secret_key, *previous_keys)]
        self._current = fernets[0]
        self._fernet = MultiFernet(fernets)
        self._lookup_key = _derive(secret_key.encode(), _LOOKUP_LABEL)

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token (URL-safe text) for `plaintext`; different on every call."""
        return self.encrypt_bytes(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token made by `encrypt` with the same secret key.

        Raises `CipherError` when the token was made with another key or was altered.
        """
        try:
            return self.decrypt_bytes(token.encode("ascii")).decode()
        except UnicodeError:
            raise _unreadable() from None

    def encrypt_bytes(self, data: bytes) -> bytes:
        """A Fernet token (URL-safe ASCII bytes) for `data`, such as an uploaded file."""
        return self._current.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        """The bytes a token from `encrypt_bytes` (or `encrypt`) holds; `CipherError` else."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise _unreadable() from None

    def rotate(self, token: bytes) -> bytes | None:
        """`token` re-encrypted under the current secret, or None when it already is.

        Raises `CipherError` when no known secret opens it.
        """
        try:
            self._current.decrypt(token)
        except InvalidToken:
            return self.encrypt_bytes(self.decrypt_bytes(token))
        return None

    def lookup_hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of the normalised value (see `normalise_identifier`); 64 chars."""
        digest = hmac.new(
            self._lookup_key, normalise_identifier(value).encode(), hashlib.sha256
        )
        return digest.hexdigest()


def _unreadable() -> CipherError:
    return CipherError(
        "A stored value could not be decrypted: the secret key differs from the one "
        "it was encrypted with, or the value is corrupted."
    )
