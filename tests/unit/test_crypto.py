"""FieldCipher: round trips, random ciphertexts, keyed and normalised lookup hashes."""

from __future__ import annotations

import hashlib

import pytest

from core.crypto import CipherError, FieldCipher, normalise_identifier

SECRET = "unit-test-secret-" + "k" * 32


def test_encrypt_round_trips_and_never_repeats() -> None:
    cipher = FieldCipher(SECRET)
    first, second = cipher.encrypt("19850101001"), cipher.encrypt("19850101001")
    assert first != second
    assert "19850101001" not in first
    assert cipher.decrypt(first) == cipher.decrypt(second) == "19850101001"
    assert cipher.decrypt(cipher.encrypt("Ñandú · 中文")) == "Ñandú · 中文"


def test_another_key_cannot_decrypt() -> None:
    token = FieldCipher(SECRET).encrypt("TA1234567")
    with pytest.raises(CipherError, match="secret key differs"):
        FieldCipher(SECRET + "-other").decrypt(token)


def test_tampered_token_is_refused() -> None:
    cipher = FieldCipher(SECRET)
    token = cipher.encrypt("TA1234567")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(CipherError):
        cipher.decrypt(tampered)
    with pytest.raises(CipherError):
        cipher.decrypt("not a token")


def test_lookup_hash_is_normalised_deterministic_and_keyed() -> None:
    cipher = FieldCipher(SECRET)
    digest = cipher.lookup_hash("1985-0101-001")
    assert digest == cipher.lookup_hash(" 19850101001 ")
    assert digest == FieldCipher(SECRET).lookup_hash("19850101001")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != FieldCipher(SECRET + "-other").lookup_hash("19850101001")
    assert digest != hashlib.sha256(b"19850101001").hexdigest()
    assert cipher.lookup_hash("ta 123.4567") == cipher.lookup_hash("TA1234567")
    assert cipher.lookup_hash("19850101002") != digest


def test_normalise_identifier() -> None:
    assert normalise_identifier(" ab-12 34/5_6.7 ") == "AB1234567"
    assert normalise_identifier("ＡＢ１２") == "AB12"  # full-width forms fold under NFKC


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        FieldCipher("short")
