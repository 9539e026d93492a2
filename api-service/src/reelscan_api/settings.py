from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from reelscan_shared.analyses import parse_overrides
from reelscan_shared.domain.destinations import literal_address, refusal
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.settings import StoreSettings, is_placeholder

MIN_TOKEN_LENGTH = 16
def default_web_dist() -> Path:
    """The repository's ``web/dist`` (``make web`` builds it), found from this package's place in the checkout."""
    return Path(__file__).resolve().parents[3] / "web" / "dist"


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class ApiSettings(StoreSettings):
    api_host: str = Field(
        "127.0.0.1",
        alias="API_HOST",
        description="address the API binds to; anything but loopback needs a real API_TOKEN",
    )
    api_port: int = Field(8000, alias="API_PORT", description="port the API listens on")
    api_workers: int = Field(
        1, alias="API_WORKERS", ge=1, description="API processes behind the one port (uvicorn workers); one per core"
    )
    discovery_interval: float = Field(
        30.0, alias="DISCOVERY_INTERVAL", ge=0, description="Seconds between scans; 0 disables the periodic scan"
    )
    discovery_settle_s: float = Field(
        1.0,
        alias="DISCOVERY_SETTLE_SECONDS",
        ge=0,
        description="A file whose size changes within this window is left for the next scan",
    )
    discovery_watch: bool = Field(
        True,
        alias="DISCOVERY_WATCH",
        description="Also watch the roots for new and removed files (inotify): seconds instead of the next scan. "
        "Turn off on network mounts, which send no events",
    )
    missing_retention_days: float = Field(
        30.0,
        alias="MISSING_RETENTION_DAYS",
        ge=0,
        description="How long a missing video's results are kept (it is purged after); its file coming back "
        "within that time restores it with nothing analysed again",
    )
    # Per-analysis config overrides, e.g. {"object_detection": {"min_confidence": 0.4}},
    # checked against the analyses' config models at start-up.
    analysis_config: dict[TaskType, dict[str, Any]] = Field(
        default_factory=dict,
        alias="ANALYSIS_CONFIG",
        description=(
            "JSON overrides of the per-analysis config stored on new tasks, keyed by task type, "
            "e.g. {'ocr': {'frame_interval_s': 1}}; checked against the analysis's config model at start-up: "
            "an unknown analysis or a bad field stops the API with a message naming both"
        ),
    )
    health_timeout_s: float = Field(
        1.0, alias="HEALTH_TIMEOUT_SECONDS", gt=0, description="Bound on each dependency check of /health and /ready"
    )
    health_cache_s: float = Field(
        1.0, alias="HEALTH_CACHE_SECONDS", ge=0, description="How long one /health report is served before re-checking"
    )
    task_totals_cache_s: float = Field(
        2.0,
        alias="TASK_TOTALS_CACHE_SECONDS",
        ge=0,
        description="How old the task list's total may be (0 = count every time)",
    )
    database_pool_size: int = Field(
        16,
        alias="DATABASE_POOL_SIZE",
        ge=1,
        description="PostgreSQL connections each API process keeps open; size it to the concurrent requests "
        "you expect (a request beyond it borrows a short-lived extra connection)",
    )
    db_statement_timeout_ms: int = Field(
        5000,
        alias="DB_STATEMENT_TIMEOUT_MS",
        ge=0,
        description="PostgreSQL's statement_timeout for every read the API runs: a request whose query takes "
        "longer answers 503 (0: no limit)",
    )
    db_write_timeout_ms: int = Field(
        0,
        alias="DB_WRITE_TIMEOUT_MS",
        ge=0,
        description="statement_timeout inside the API's write transactions (0: none; a started write is left "
        "to finish). Migrations run without either limit",
    )
    api_max_body_bytes: int = Field(
        1_048_576,
        alias="API_MAX_BODY_BYTES",
        ge=1024,
        description="Largest request body the API reads (Content-Length or chunked); a larger one answers 413",
    )
    frame_cache_mb: float = Field(
        64.0, alias="FRAME_CACHE_MB", ge=0, description="Memory for recently served frames (GET /videos/{id}/frame)"
    )
    frame_workers: int = Field(
        2, alias="FRAME_WORKERS", ge=1, description="Frames decoded at once; more requests wait their turn"
    )
    max_video_pixels: int = Field(
        7680 * 4320,
        alias="MAX_VIDEO_PIXELS",
        ge=64 * 64,
        description="Largest picture (width x height) whose frames the API decodes (default 8K UHD, 33.2 Mpx); "
        "a larger video's frame answers 422 before anything is decoded",
    )
    events_poll_s: float = Field(
        1.0,
        alias="EVENTS_POLL_SECONDS",
        gt=0,
        le=60,
        description="How often each GET /events stream asks PostgreSQL for task and video changes",
    )
    events_keepalive_s: float = Field(
        15.0,
        alias="EVENTS_KEEPALIVE_SECONDS",
        gt=0,
        description="A GET /events stream with nothing to say sends a comment this often, so proxies keep it open",
    )
    webhook_urls: str = Field(
        "",
        alias="WEBHOOK_URLS",
        description="Comma-separated http(s) URLs receiving every event (needs WEBHOOK_SECRET)",
    )
    api_token: str | None = Field(
        None,
        alias="API_TOKEN",
        description="The API's secret: programs send it as `Authorization: Bearer`, browsers sign in with it "
        "(POST /auth/session). Required (16+ characters, not a placeholder) when API_HOST is not loopback",
    )
    api_token_reads: bool = Field(
        True,
        alias="API_TOKEN_READS",
        description="With API_TOKEN set, reads need credentials too (the default); false opens every GET to anyone",
    )
    api_allowed_hosts: str = Field(
        "",
        alias="API_ALLOWED_HOSTS",
        description="Comma-separated host names a token-less server answers to (the Host header, against DNS "
        "rebinding); localhost, 127.0.0.1, ::1 and API_HOST are always allowed",
    )
    session_max_age_s: int = Field(
        7 * 24 * 3600,
        alias="SESSION_MAX_AGE_SECONDS",
        ge=60,
        description="How long a browser sign-in (the reelscan_session cookie) lasts",
    )
    session_cookie_secure: bool | None = Field(
        None,
        alias="SESSION_COOKIE_SECURE",
        description="Force the session cookie's Secure flag on or off; unset, it is set when the request came over "
        "TLS (directly, or X-Forwarded-Proto: https from one of TRUSTED_PROXIES)",
    )
    web_dist_dir: Path = Field(
        default_factory=default_web_dist,
        alias="WEB_DIST_DIR",
        description="The built web app (`make web` writes web/dist) that api-service serves under /app/; "
        "without an index.html there, /app/ answers 503 saying how to build it",
    )
    trusted_proxies: str = Field(
        "",
        alias="TRUSTED_PROXIES",
        description="Comma-separated client IPs (your reverse proxy) whose X-Forwarded-Proto is believed; * trusts any",
    )

    def secret_values(self) -> list[str]:
        return [*super().secret_values(), *([self.api_token] if self.api_token else [])]

    @property
    def allowed_host_set(self) -> frozenset[str]:
        names = {"localhost", "127.0.0.1", "::1", self.api_host.strip("[]").lower()}
        names |= {h.strip().lower() for h in self.api_allowed_hosts.split(",") if h.strip()}
        return frozenset(names)

    @property
    def trusted_proxy_list(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @model_validator(mode="after")
    def _safe_to_expose(self) -> ApiSettings:
        token = self.api_token
        if token is not None and not token.strip():
            token = self.api_token = None  # an empty value means "no token", never a token of ""
        if token is not None and is_placeholder(token):
            raise ValueError(
                f"API_TOKEN is the placeholder {token!r}: generate one "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if is_loopback_host(self.api_host):
            return self
        if token is None:
            raise ValueError(
                f"API_HOST={self.api_host} is reachable beyond this machine: set API_TOKEN "
                f"({MIN_TOKEN_LENGTH}+ characters) or bind API_HOST=127.0.0.1"
            )
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"API_TOKEN is {len(token)} characters; a server bound to {self.api_host} "
                f"needs at least {MIN_TOKEN_LENGTH}"
            )
        return self

    @property
    def webhook_url_list(self) -> list[str]:
        return [u.strip() for u in self.webhook_urls.split(",") if u.strip()]

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> ApiSettings:
        for url in self.webhook_url_list:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"WEBHOOK_URLS: {url!r} is not an http(s) URL")
            literal = literal_address(urlsplit(url).hostname or "")
            if literal is not None and (reason := refusal(literal, self.webhook_allowed_ranges)) is not None:
                raise ValueError(
                    f"WEBHOOK_URLS: {urlsplit(url).hostname}: refused destination ({reason}) "
                    "(see WEBHOOK_ALLOW_PRIVATE)"
                )
        if self.webhook_url_list and not self.webhook_secret:
            raise ValueError("WEBHOOK_URLS needs WEBHOOK_SECRET: receivers verify each delivery's signature")
        return self

    @field_validator("analysis_config", mode="before")
    @classmethod
    def _parse_overrides(cls, v: Any) -> Any:
        raw = json.loads(v) if isinstance(v, str) and v.strip() else (v or {})
        if not isinstance(raw, dict):
            raise ValueError(f"expected a JSON object keyed by analysis, got {raw!r}")
        return parse_overrides(raw)
