"""Settings every service shares, read from the environment (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelscan_shared.domain.destinations import IPNetwork, parse_allowed

_SECRET_WORDS = ("password", "token", "secret", "key")
PLACEHOLDERS = frozenset(
    {
        "change-me",
        "changeme",
        "change_me",
        "secret",
        "password",
        "token",
        "example",
        "replace-me",
        "please-change",
        "your-token",
        "xxx",
        "admin",
    }
)


def is_placeholder(value: str) -> bool:
    """The values example files ship (`change-me`, …), never accepted as a real secret."""
    v = value.strip().lower()
    return v in PLACEHOLDERS or v.startswith(("change-me", "changeme", "<"))


def url_password(url: str) -> str | None:
    """The password inside a URL (percent-decoded), if any."""
    return unquote(p) if (p := urlsplit(url).password) else None


def masked(settings: BaseSettings) -> dict[str, object]:
    """The settings as logged at start-up: secrets, and passwords inside URLs, masked."""
    out: dict[str, object] = {}
    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, str) and value and any(word in name.lower() for word in _SECRET_WORDS):
            out[name] = "***"
        elif isinstance(value, str) and "://" in value and "@" in value:
            out[name] = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", value)
        else:
            out[name] = value
    return out


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    log_level: str = Field("INFO", alias="LOG_LEVEL", description="log level")
    log_format: str = Field("json", alias="LOG_FORMAT", description="json or console")
    # Colon-separated library roots, like PATH.
    video_paths: str = Field(
        "./videos",
        alias="VIDEO_PATHS",
        description="colon-separated library roots; the ML service refuses any path outside them",
    )

    @field_validator("log_level")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @property
    def video_roots(self) -> list[Path]:
        return [Path(p).expanduser().resolve() for p in self.video_paths.split(":") if p.strip()]


class StoreSettings(CommonSettings):
    """Settings of the services that talk to PostgreSQL and Valkey."""

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/reelscan", alias="DATABASE_URL", description="PostgreSQL URL"
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL", description="Valkey URL")
    ml_service_url: str = Field("http://127.0.0.1:8001", alias="ML_SERVICE_URL", description="where the ML service is")
    webhook_secret: str | None = Field(
        None,
        alias="WEBHOOK_SECRET",
        description="Signs deliveries to WEBHOOK_URLS (and subscriptions without a "
        "secret of their own): HMAC-SHA256, Reelscan-Signature header",
    )
    webhook_allow_private: str = Field(
        "",
        alias="WEBHOOK_ALLOW_PRIVATE",
        description="Comma-separated CIDR ranges webhooks may reach although they are "
        "loopback, private, link-local or otherwise non-global (e.g. "
        "10.20.0.0/16 for a receiver inside the network); empty: public "
        "addresses only. Metadata endpoints stay refused",
    )

    def secret_values(self) -> list[str]:
        """The literal secrets this service holds, masked wherever they appear in its logs."""
        found = [self.webhook_secret, url_password(self.database_url), url_password(self.redis_url)]
        return [v for v in found if v]

    @field_validator("database_url", "redis_url")
    @classmethod
    def _no_placeholder_password(cls, v: str) -> str:
        password = url_password(v)
        if password is not None and is_placeholder(password):
            raise ValueError(
                "the password in this URL is the example file's placeholder: set a real one "
                "(e.g. POSTGRES_PASSWORD / VALKEY_PASSWORD in .env, from "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
            )
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _no_placeholder_secret(cls, v: str | None) -> str | None:
        if v is not None and v.strip() and is_placeholder(v):
            raise ValueError("WEBHOOK_SECRET is a placeholder: generate one (secrets.token_urlsafe(32))")
        return v

    @field_validator("webhook_allow_private")
    @classmethod
    def _cidrs(cls, v: str) -> str:
        parse_allowed(v)  # fails start-up on a malformed range
        return v

    @property
    def webhook_allowed_ranges(self) -> tuple[IPNetwork, ...]:
        return parse_allowed(self.webhook_allow_private)
