"""Field-level encryption and keyed lookup hashes for sensitive values (identity numbers).

One application secret yields two independent keys through HKDF-SHA256 with distinct labels:
- an encryption key for Fernet (AES-128-CBC + HMAC-SHA256, random IV): the same value
  encrypts differently every time, so ciphertexts cannot be compared or searched;
- a lookup key for HMAC-SHA256 over a normalised value: deterministic, so an equality search
  can use an index on the hash, yet the hash reveals nothing without the secret.
Keeping the keys apart means a leaked lookup key does not decrypt anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
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
    """Encrypts field values and computes their lookup hashes from one secret key."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 16:
            raise ValueError("The field cipher needs a secret key of at least 16 characters.")
        secret = secret_key.encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, _ENCRYPTION_LABEL)))
        self._lookup_key = _derive(secret, _LOOKUP_LABEL)

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token (URL-safe text) for `plaintext`; different on every call."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token made by `encrypt` with the same secret key.

        Raises `CipherError` when the token was made with another key or was altered.
        """
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise CipherError(
                "A stored value could not be decrypted: the secret key differs from the one "
                "it was encrypted with, or the value is corrupted."
            ) from None

    def lookup_hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of the normalised value (see `normalise_identifier`); 64 chars."""
        digest = hmac.new(
            self._lookup_key, normalise_identifier(value).encode(), hashlib.sha256
        )
        return digest.hexdigest()
