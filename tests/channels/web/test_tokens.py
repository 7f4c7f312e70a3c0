"""Session tokens: only the ones this server issued, unaltered, name a session."""

from __future__ import annotations

import pytest

from channels.web.tokens import SessionTokens

SECRET = "test-secret-key-" + "x" * 32


def test_an_issued_token_names_its_session() -> None:
    tokens = SessionTokens(SECRET)
    session_id, token = tokens.issue()
    assert len(session_id) == 32
    assert token.startswith(session_id + ".")
    assert tokens.session_id(token) == session_id
    assert SessionTokens(SECRET).session_id(token) == session_id  # after a restart too


def test_each_token_is_new() -> None:
    tokens = SessionTokens(SECRET)
    assert len({tokens.issue()[0] for _ in range(100)}) == 100


@pytest.mark.parametrize("altered", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
    lambda token: ("A" if token[0] != "A" else "B") + token[1:],  # session id changed
    lambda token: token.partition(".")[0],  # signature dropped
    lambda token: token.partition(".")[0] + ".",
    lambda token: "",
    lambda token: "../../etc/passwd." + token.partition(".")[2],
    lambda token: token + "=",
])
def test_an_altered_token_names_no_session(altered) -> None:  # type: ignore[no-untyped-def]
    tokens = SessionTokens(SECRET)
    _, token = tokens.issue()
    assert tokens.session_id(altered(token)) is None


def test_a_token_from_another_secret_names_no_session() -> None:
    _, token = SessionTokens("another server's secret").issue()
    assert SessionTokens(SECRET).session_id(token) is None
