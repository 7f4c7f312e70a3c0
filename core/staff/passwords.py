"""Staff password hashing: argon2id, with the scrypt hashes of earlier versions still accepted.

The argon2id cost is OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane), not the
library's default (64 MiB, 4 lanes): that takes ~0.5 s per sign-in on a small two-core
server, which turns a burst of sign-ins into a denial of service. A stored hash made with
other parameters, or with scrypt, is replaced on the next successful sign-in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_argon2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (a fresh random salt every time)."""
    return _argon2.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored argon2id (or legacy scrypt) hash."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _argon2.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the stored hash should be replaced by one with the current parameters."""
    return stored.startswith("scrypt$") or _argon2.check_needs_rehash(stored)


def spend_a_check(password: str) -> None:
    """Check `password` against a throwaway hash: a sign-in with an unknown email then takes as
    long as one with a wrong password, so the timing does not tell which emails exist."""
    verify_password(password, _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password")


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return hmac.compare_digest(digest, expected)
