"""Settings from the environment (prefix `LENDLINE_`, plus the conventional unprefixed names).

Built once by the app factory or CLI through `get_settings()`, never at import time.
Every setting is listed in `.env.example`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.crypto import FieldCipher

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "replace-me"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LENDLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        # `OPENAI_API_KEY=` in .env (as .env.example has it) or `${X:-}` in compose means
        # "not set", not an empty key that would switch the LLM on.
        env_ignore_empty=True,
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "LENDLINE_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "LENDLINE_REDIS_URL")
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Encrypts identity numbers and keys their lookup hash. Generated into the "
        "data folder on first start in development; required in production.",
    )
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Earlier secret keys, as a JSON list, newest first: values encrypted "
        "under them still decrypt until `lendline rotate-keys` re-encrypts them under "
        "LENDLINE_SECRET_KEY (docs/data-protection.md).",
    )

    currency: str = "TTD"
    timezone: str = "America/Port_of_Spain"
    lender_name: str = "Island Credit Union (demo)"

    seed_demo_data: bool = True
    migrate_on_start: bool = Field(
        default=True,
        description="Apply migrations when `serve` or `worker` starts. A stack with several "
        "replicas turns this off and runs `lendline migrate` once before them (compose.yaml).",
    )
    run_worker: bool = Field(
        default=True, description="Run the background job worker inside the `serve` process."
    )
    worker_concurrency: int = Field(
        default=4, ge=1, le=64, description="Jobs a worker runs at once (`serve`'s in-process "
        "one, and `lendline worker` unless given --concurrency): messages of different senders "
        "are answered side by side, one sender's still one at a time and in order.")
    reminders_enabled: bool = Field(
        default=True, description="Send payment reminders daily (lendline/jobs_maintenance.py), "
        "within the contact rules.")
    reminder_days_before: list[Annotated[int, Field(ge=0, le=60)]] = Field(
        default_factory=lambda: [3, 0], description="Days before an instalment's due date to "
        "remind the borrower (0 = on the day), as JSON. Promises are reminded the day before.")
    checkpoint_idle_days: int = Field(
        default=7, ge=1, description="Conversations idle this long keep only their latest "
        "`checkpoint_keep` agent checkpoints (nightly job).")
    checkpoint_keep: int = Field(default=1, ge=1, le=50)
    checkpoint_closed_days: int = Field(
        default=30, ge=0, description="Conversations closed this long lose their agent "
        "checkpoints (the transcript stays).")
    knowledge_folders: list[Path] = Field(
        default_factory=list, description="Extra folders the knowledge re-index job syncs, as "
        "JSON; each is the collection named after it (not 'bundled' or 'uploads').")

    stripe_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("STRIPE_API_KEY", "LENDLINE_STRIPE_API_KEY")
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "LENDLINE_STRIPE_WEBHOOK_SECRET"),
    )

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "LENDLINE_OPENAI_API_KEY"),
        description="With a key (or a base URL), the agent understands and answers with the LLM; "
        "without, it uses the offline understander and templates.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "LENDLINE_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible server (vLLM, Ollama, LM Studio, a proxy).",
    )
    openai_model: str = "gpt-4o-mini"
    llm_timeout_seconds: int = 20
    embedding_provider: Literal["auto", "openai", "local"] = Field(
        default="auto",
        description="Knowledge base embeddings: `openai` (any OpenAI-compatible server, with "
        "OPENAI_API_KEY / OPENAI_BASE_URL), `local` (deterministic, offline) or `auto` (openai "
        "when OPENAI_API_KEY is set). Changing it re-embeds the knowledge base on next ingest.",
    )
    embedding_model: str = "text-embedding-3-small"

    twilio_account_sid: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TWILIO_ACCOUNT_SID", "LENDLINE_TWILIO_ACCOUNT_SID"),
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TWILIO_AUTH_TOKEN", "LENDLINE_TWILIO_AUTH_TOKEN"),
        description="Checks every Twilio webhook's signature and authenticates outbound sends.",
    )
    twilio_api_url: str | None = Field(
        default=None,
        description="Override Twilio's REST base URL (a local test server); unset in production.",
    )
    twilio_sms_from: str | None = Field(
        default=None, description="The SMS sender: an E.164 number or a messaging service SID.")
    twilio_whatsapp_from: str | None = Field(
        default=None, description="The WhatsApp sender number in E.164, without 'whatsapp:'.")
    whatsapp_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Approved WhatsApp templates by purpose, as JSON: "
        '{"one_time_code": "HX...", "payment_reminder": "HX...", "staff_reply": "HX...", '
        '"reply": "HX..."}. Used outside the 24-hour customer-service window.',
    )
    messages_per_minute: int = Field(
        default=20, description="Inbound messages one sender may send a minute before the agent "
        "stops answering (one polite notice, then silence until the minute passes).")

    elevenlabs_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ELEVENLABS_API_KEY", "LENDLINE_ELEVENLABS_API_KEY"),
    )
    elevenlabs_base_url: str | None = Field(
        default=None, description="Override ElevenLabs' API base URL (a local test server).")
    elevenlabs_voice_id: str = "21m00Tcm4TlvDq8ikWAM"
    elevenlabs_tts_model: str = "eleven_flash_v2_5"
    elevenlabs_stt_model: str = "scribe_v1"
    voice_mode: Literal["relay", "stream"] = Field(
        default="relay",
        description="Phone calls through ConversationRelay (Twilio recognises speech, "
        "ElevenLabs speaks) or Media Streams (we transcribe and synthesise with ElevenLabs).",
    )

    allow_sandbox_payments: bool = Field(
        default=False,
        description="Allow the sandbox payment provider in production (demo stacks only): "
        "its links are marked paid without moving money.",
    )

    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="`json`: one JSON object per line; `text`: for people; `auto`: text when "
        "the log goes to a terminal outside production, else JSON. See docs/operations.md.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token Prometheus sends to `/metrics`. Unset: `/metrics` is open in "
        "development and test, and refused in production.",
    )
    metrics_port: int | None = Field(
        default=None, description="The port a `lendline worker` serves /metrics and /healthz "
        "on (off when unset); `serve` has them on its own port.")
    probe_timeout_seconds: float = Field(
        default=2.0, gt=0, description="How long each `/readyz` check and each database query "
        "behind `/metrics` may take before it counts as failed.")
    llm_prices: dict[str, dict[str, Decimal]] = Field(
        default_factory=lambda: {"gpt-4o-mini": {"input": Decimal("0.15"),
                                                 "output": Decimal("0.60")}},
        description="US dollars per million tokens by model and kind, as JSON, for the "
        "`lendline_llm_cost_usd` metric; a dated model name takes the price of the longest "
        "name it starts with. The default is OpenAI's list price for gpt-4o-mini.",
    )

    transcript_retention_days: int = Field(
        default=2555, ge=0, description="Conversation messages older than this are redacted "
        "(metadata kept) unless the customer has an open loan, case or legal hold; 0 keeps "
        "them forever.")
    document_retention_days: int = Field(
        default=2555, ge=0, description="Uploaded files are deleted this long after their "
        "application closed or its loan was repaid (metadata kept); 0 keeps them forever.")
    job_retention_days: int = Field(
        default=30, ge=0, description="Finished background jobs (their arguments hold "
        "message bodies) are deleted this long after they finished; 0 keeps them forever.")
    web_session_retention_days: int = Field(
        default=30, ge=0, description="A web chat idle this long is closed and its browser "
        "token no longer reopens it or its history; 0 keeps sessions forever.")

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < 32:
                raise ValueError("LENDLINE_SECRET_KEY must be a real secret of 32+ characters.")
            if not self.database_url:
                raise ValueError("DATABASE_URL is required in production.")
            token = self.metrics_token.get_secret_value() if self.metrics_token else None
            if token is not None and (token.lower() in PLACEHOLDER_SECRETS or len(token) < 16):
                raise ValueError("LENDLINE_METRICS_TOKEN must be a real secret of 16+ characters.")
            has_stripe = self.stripe_api_key is not None and self.stripe_webhook_secret is not None
            if not has_stripe and not self.allow_sandbox_payments:
                raise ValueError(
                    "Production needs STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET, or "
                    "LENDLINE_ALLOW_SANDBOX_PAYMENTS=true for a demo stack."
                )
        return self

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None or bool(self.openai_base_url)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def field_keys(self) -> list[str]:
        """The field cipher's secrets: the current one first, then the previous ones."""
        previous = [key.get_secret_value() for key in self.previous_secret_keys]
        return [self.resolved_secret_key(), *previous]

    def field_cipher(self) -> FieldCipher:
        """The cipher for identity numbers, documents and two-factor secrets."""
        current, *previous = self.field_keys()
        return FieldCipher(current, previous)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
