"""Masking rules and the field cipher's key handling (no I/O)."""

from __future__ import annotations

import pytest

from core.crypto import CipherError, FieldCipher
from core.privacy.masking import (
    mask_account_numbers,
    mask_sensitive,
    redact_verification_answers,
)

OLD = "old-secret-key-0123456789"
NEW = "new-secret-key-9876543210"


def verify(digits: str) -> list[dict[str, object]]:
    return [{"name": "verify_date_of_birth",
             "args": {"date_of_birth": "1972-06-17", "id_digits": digits}}]


def test_sensitive_keys_are_masked_at_any_depth() -> None:
    record = {"args": {"date_of_birth": "1972-06-17", "id_digits": "7974"},
              "rows": [{"iban": "TT12 3456", "amount": "10.00"}], "national_id": None,
              "last4": "7974"}
    assert mask_sensitive(record) == {
        "args": {"date_of_birth": "1972-06-17", "id_digits": "[masked]"},
        "rows": [{"iban": "[masked]", "amount": "10.00"}], "national_id": None,
        "last4": "7974"}


@pytest.mark.parametrize(("body", "digits", "kept"), [
    ("7974", "7974", "••••"),
    ("my ID ends 7 9 7 4, thanks", "7974", "my ID ends ••••, thanks"),
    ("19720617974 and born 17 June 1972", "7974", "•••• and born 17 June 1972"),
    ("1972-0617-974", "7974", "••••"),
    ("I owe 1500 and my id ends 7974", "7974", "I owe 1500 and my id ends ••••"),
    ("ab12cd ends in CD", "12CD", "•••• ends in CD"),
])
def test_verification_answers_leave_the_transcript(body: str, digits: str, kept: str) -> None:
    assert redact_verification_answers(body, verify(digits)) == kept


def test_other_tool_calls_and_messages_are_left_alone() -> None:
    calls = [{"name": "loan_balance", "args": {"loan_id": 7974}}]
    assert redact_verification_answers("loan 7974 please", calls) == "loan 7974 please"
    assert redact_verification_answers("what is 7974?", []) == "what is 7974?"
    assert redact_verification_answers("no digits here", verify("")) == "no digits here"


def test_long_numbers_keep_their_last_four_digits() -> None:
    assert mask_account_numbers("TRANSFER TO 001234567 REF 12-34-56-78") == (
        "TRANSFER TO *****4567 REF ****5678")
    assert mask_account_numbers("SALARY MARCH 2025 TTD 9,000") == "SALARY MARCH 2025 TTD 9,000"


def test_previous_keys_still_decrypt_and_rotate_moves_values_to_the_current_key() -> None:
    old, new = FieldCipher(OLD), FieldCipher(NEW, [OLD])
    token = old.encrypt("19720617974")
    assert new.decrypt(token) == "19720617974"
    with pytest.raises(CipherError):
        FieldCipher(NEW).decrypt(token)

    rotated = new.rotate(token.encode())
    assert rotated is not None and new.rotate(rotated) is None
    assert FieldCipher(NEW).decrypt(rotated.decode()) == "19720617974"
    assert new.lookup_hash("19720617974") == FieldCipher(NEW).lookup_hash("19720617974")
    assert new.lookup_hash("19720617974") != old.lookup_hash("19720617974")
    with pytest.raises(CipherError):
        FieldCipher(NEW).rotate(token.encode())


def test_files_encrypt_as_bytes() -> None:
    cipher = FieldCipher(NEW)
    pdf = b"%PDF-1.4 account 001234567"
    token = cipher.encrypt_bytes(pdf)
    assert token.startswith(b"gAAAAA") and b"001234567" not in token
    assert cipher.decrypt_bytes(token) == pdf
    with pytest.raises(ValueError, match="at least 16 characters"):
        FieldCipher(NEW, ["short"])
