"""Settings refuse placeholder secrets and unsafe production set-ups."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lendline.settings import Settings

REAL_SECRET = "s" * 40


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_development_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    settings = make(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert make(data_dir=tmp_path).resolved_secret_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-but-real"])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="LENDLINE_SECRET_KEY"):
        make(environment="production", secret_key=secret, database_url="postgresql://x/y",
             allow_sandbox_payments=True)


def test_production_needs_a_database_and_real_payments_or_an_explicit_opt_in() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        make(environment="production", secret_key=REAL_SECRET)
    with pytest.raises(ValidationError, match="STRIPE_API_KEY"):
        make(environment="production", secret_key=REAL_SECRET, database_url="postgresql://x/y")
    demo = make(environment="production", secret_key=REAL_SECRET,
                database_url="postgresql://x/y", allow_sandbox_payments=True)
    assert demo.allow_sandbox_payments
    real = make(environment="production", secret_key=REAL_SECRET, database_url="postgresql://x/y",
                stripe_api_key="sk_live_x", stripe_webhook_secret="whsec_x")
    assert real.stripe_api_key is not None


def test_empty_values_mean_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`.env.example` copied as it is, and compose's `${NAME:-}`, leave names empty: they must
    keep the defaults, not switch the LLM on with an empty key or blank the model name."""
    env_file = tmp_path / ".env"
    env_file.write_text("OPENAI_API_KEY=\nLENDLINE_OPENAI_MODEL=\nTWILIO_ACCOUNT_SID=\n")
    monkeypatch.setenv("LENDLINE_MESSAGES_PER_MINUTE", "")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.openai_api_key is None and not settings.llm_enabled
    assert settings.openai_model == "gpt-4o-mini"
    assert settings.twilio_account_sid is None
    assert settings.messages_per_minute == 20
