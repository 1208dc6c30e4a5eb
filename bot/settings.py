"""Every setting, from the environment and `.env`, validated once at start."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from surveys.model import Language

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """'90s', '30m', '36h', '2d', '1w', a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value)
    if text.strip().isdigit():
        return timedelta(seconds=int(text))
    match = _DURATION.match(text)
    if not match:
        raise ValueError("expected a duration such as 90s, 30m, 36h, 2d or 1w")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2].lower()])


def _http_url(value: str | None) -> str | None:
    if not value:
        return None
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANDOR_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    database_url: str = "sqlite+aiosqlite:///candor.db"
    default_language: Language = Language.EN
    timezone: str = "UTC"
    company_name: str = "Candor"
    reminder_after: Annotated[timedelta, NoDecode] = timedelta(days=2)
    expire_after: Annotated[timedelta, NoDecode] = timedelta(days=7)
    send_hour: int = Field(10, ge=0, le=23)
    # At or below the default analyser's own negative threshold, so every answer it reads as
    # negative pages the owner; raise it to page only on confident verdicts.
    alert_threshold: float = Field(0.3, ge=0.0, le=1.0)
    sentiment_analyser: str = "default"
    # Optional backends (extras): a local Hugging Face text-classification model directory,
    # or an OpenAI-compatible chat endpoint asked for a JSON verdict.
    sentiment_hf_model_dir: str | None = None
    sentiment_openai_url: str | None = None
    sentiment_openai_model: str = "gpt-4o-mini"
    sentiment_openai_api_key: SecretStr | None = None
    sentiment_openai_timeout: float = Field(10.0, gt=0, le=120)
    # Whether a conversation whose answers are each mildly negative (negative, but each
    # below the alert threshold) raises one alert for the conversation.
    alert_on_mild_conversation: bool = True
    # Closing the loop (issue 12). How long a follow-up question waits for the client's
    # reply before its asker is told there was none.
    followup_window: Annotated[timedelta, NoDecode] = timedelta(days=3)
    # Escalation: an alert not acknowledged within this time reminds its owner once, and
    # after twice this time goes to the managers; one acknowledged but not resolved within
    # CANDOR_ESCALATE_RESOLVE_AFTER goes to the managers too.
    escalate_ack_after: Annotated[timedelta, NoDecode] = timedelta(hours=24)
    escalate_resolve_after: Annotated[timedelta, NoDecode] = timedelta(days=7)
    # Accounts of these tiers (comma-separated) get the times above multiplied by this factor.
    escalate_priority_tiers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["gold", "platinum"]
    )
    escalate_priority_factor: float = Field(0.25, gt=0.0, le=1.0)
    # A negative answer on a question whose alert was resolved within this many earlier
    # rounds of the account is marked a relapse and goes to the managers too (0: off).
    relapse_rounds: int = Field(3, ge=0, le=50)
    # Silence: a contact who let this many consecutive rounds expire or declined them
    # raises a silence alert (0: off); so does an account whose latest closed round's
    # response rate is under CANDOR_SILENCE_RATE (0: off) or under half the average of its
    # previous CANDOR_SILENCE_HISTORY rounds.
    silence_rounds: int = Field(3, ge=0, le=50)
    silence_rate: float = Field(0.3, ge=0.0, le=1.0)
    silence_history: int = Field(3, ge=1, le=50)
    tick_seconds: int = Field(60, ge=1, le=3600)
    # Weekly digest to staff: ISO weekday (1 Monday … 7 Sunday) and local hour, in each
    # person's own time zone (`/digest on <zone>`), else CANDOR_TIMEZONE.
    digest_weekday: int = Field(1, ge=1, le=7)
    digest_hour: int = Field(9, ge=0, le=23)
    # Largest report file sent in chat (MB); the platforms' own caps (Telegram 50 MB,
    # Slack 1 GB) apply regardless. Bigger reports: `candor report` on the server.
    report_max_file_mb: float = Field(50.0, gt=0, le=1024)
    # Where big XLSX reports spool their rows while being built (one temporary file per
    # sheet); empty: the system's temporary directory. A RAM disk such as /dev/shm is
    # 2-3x faster for workbooks with hundreds of sheets.
    report_tmpdir: str | None = None
    delivery_poll_seconds: float = Field(1.0, gt=0, le=60)
    delivery_max_attempts: int = Field(10, ge=1, le=100)
    # Database connections per process (PostgreSQL pool; SQLite too). Everything that uses
    # the database is bounded to fit: inbox workers, the inbox writer (one), delivery.
    db_pool_size: int = Field(10, ge=2, le=200)
    # Inbound updates handled at once; 0 = half the pool on PostgreSQL (each holds one
    # connection), one on SQLite (it has one writer at a time anyway).
    inbox_workers: int = Field(0, ge=0, le=200)
    # An update a process took but did not finish (it died) is handled again after this.
    inbox_lease: Annotated[timedelta, NoDecode] = timedelta(seconds=60)
    # Outbox messages in flight at once (to distinct recipients) in the delivering process.
    delivery_concurrency: int = Field(8, ge=1, le=50)
    # A message being sent is leased this long; one whose sender died is then marked
    # uncertain (never resent). A send taking over half of it counts as uncertain too.
    delivery_lease: Annotated[timedelta, NoDecode] = timedelta(minutes=2)
    # Telegram's overall send limit: messages per second for the whole bot, however many
    # processes (only one delivers), and the most in any one-second window.
    telegram_rate: float = Field(30.0, ge=1, le=1000)
    # Operator endpoints /healthz, /readyz and /metrics (Prometheus); off unless a port is set.
    ops_host: str = "127.0.0.1"
    ops_port: int | None = Field(None, ge=1, le=65535)
    # Census (issue 13). Contact imports larger than this are refused before reading.
    import_max_bytes: int = Field(16_000_000, ge=1_000, le=1_000_000_000)
    # First census messages waiting for delivery before the fan-out queues more: pause and
    # cancel take effect within this many messages.
    census_backlog: int = Field(100, ge=1, le=10_000)
    # Ticket intake on the ops server (POST /tickets): a global token for every account,
    # and/or per-account tokens as JSON {"Account name": "token"}. No token: intake is off.
    ticket_token: SecretStr | None = None
    ticket_tokens: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    ticket_max_body: int = Field(16_384, ge=256, le=1_048_576)
    # Telegram bot username (without @) for exported deep links when the bot is not running.
    telegram_bot_username: str = ""
    log_level: str = "INFO"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_slack_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Platform credentials keep the names their platforms' docs use.
    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "CANDOR_TELEGRAM_BOT_TOKEN")
    )
    telegram_api_url: str = Field(
        "https://api.telegram.org",
        validation_alias=AliasChoices("TELEGRAM_API_URL", "CANDOR_TELEGRAM_API_URL"),
    )
    telegram_webhook_url: str | None = Field(
        None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_URL", "CANDOR_TELEGRAM_WEBHOOK_URL"),
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET", "CANDOR_TELEGRAM_WEBHOOK_SECRET"),
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=1, le=65535)
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CANDOR_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CANDOR_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CANDOR_SLACK_SIGNING_SECRET"),
    )

    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "CANDOR_SLACK_API_URL"),
    )
    # socket: Socket Mode over the app-level token (no public URL); http: Events API,
    # interactivity and slash commands posted to CANDOR_SLACK_HOST:CANDOR_SLACK_PORT.
    slack_mode: Literal["socket", "http"] | None = None
    slack_host: str = "127.0.0.1"
    slack_port: int = Field(3000, ge=1, le=65535)
    slack_path: str = "/slack/events"

    @field_validator("escalate_priority_tiers", mode="before")
    @classmethod
    def _tiers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip().lower() for p in value.split(",") if p.strip()]
        return value

    @field_validator(
        "reminder_after", "expire_after", "followup_window", "escalate_ack_after",
        "escalate_resolve_after", "inbox_lease", "delivery_lease", mode="before",
    )  # fmt: skip
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        duration = parse_duration(value)
        if duration <= timedelta(0):
            raise ValueError("must be longer than zero")
        return duration

    @field_validator("ticket_tokens", mode="before")
    @classmethod
    def _ticket_tokens(cls, value: Any) -> Any:
        if isinstance(value, str):
            import json

            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("ops_port", mode="before")
    @classmethod
    def _optional_port(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r}; use an IANA name like Europe/Moscow"
            raise ValueError(msg) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; e.g. sqlite+aiosqlite:///candor.db") from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"driver {url.drivername!r} is not supported; "
                "use sqlite+aiosqlite:///… or postgresql+asyncpg://…"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("sentiment_analyser")
    @classmethod
    def _analyser(cls, value: str) -> str:
        from surveys.sentiment import KNOWN_ANALYSERS

        if value not in KNOWN_ANALYSERS:
            raise ValueError(
                f"unknown sentiment analyser {value!r}; known: {', '.join(KNOWN_ANALYSERS)}"
            )
        return value

    @field_validator("admin_slack_ids", mode="before")
    @classmethod
    def _slack_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"[UW][A-Z0-9]{2,}", p) for p in parts):
                raise ValueError("expected comma-separated Slack user ids, e.g. U012AB3CD")
            return parts
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        url = _http_url(value) or "https://slack.com/api"
        return url + "/"  # slack_sdk appends method names to it

    @model_validator(mode="after")
    def _analyser_complete(self) -> Settings:
        # Found at start-up, not on the first answer a client sends.
        from surveys.sentiment import missing_option

        name = self.sentiment_analyser
        missing = missing_option(
            name, model_dir=self.sentiment_hf_model_dir, url=self.sentiment_openai_url
        )
        if missing:
            raise ValueError(f"{missing} is required when CANDOR_SENTIMENT_ANALYSER={name}")
        return self

    @model_validator(mode="after")
    def _slack_complete(self) -> Settings:
        if not self.slack_bot_token:
            return self
        if self.slack_mode is None:
            self.slack_mode = "socket" if self.slack_app_token else "http"
        if self.slack_mode == "socket" and not self.slack_app_token:
            raise ValueError("SLACK_APP_TOKEN (xapp-…) is required for Slack Socket Mode")
        if self.slack_mode == "http" and not self.slack_signing_secret:
            raise ValueError(
                "SLACK_SIGNING_SECRET is required for Slack HTTP mode "
                "(it is how Candor knows a request really comes from Slack)"
            )
        return self

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("expected comma-separated Telegram user ids, e.g. 1234,5678")
            return [int(p) for p in parts]
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value) or "https://api.telegram.org"

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - as secret_token.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL "
                "(it is how Candor knows a webhook request really comes from Telegram)"
            )
        return self

    @model_validator(mode="after")
    def _reminder_before_expiry(self) -> Settings:
        if self.reminder_after >= self.expire_after:
            raise ValueError(
                "CANDOR_REMINDER_AFTER must be shorter than CANDOR_EXPIRE_AFTER "
                "(a reminder after expiry would never be sent)"
            )
        return self

    @property
    def inbox_concurrency(self) -> int:
        if self.inbox_workers:
            return self.inbox_workers
        return 1 if self.database_url.startswith("sqlite") else max(1, self.db_pool_size // 2)

    @property
    def has_platform(self) -> bool:
        return bool(self.telegram_bot_token or self.slack_bot_token)


class SettingsError(Exception):
    """Settings could not be loaded; the message is one line fit for a terminal."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad setting by its environment variable, never its value."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"invalid setting {_env_name(field)}: {reason}" if field else reason)
    return "; ".join(parts)


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"CANDOR_{field.upper()}"
