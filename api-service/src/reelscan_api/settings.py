from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from reelscan_shared.analyses import parse_overrides
from reelscan_shared.domain.destinations import literal_address, refusal
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.settings import StoreSettings


class ApiSettings(StoreSettings):
    api_host: str = Field("127.0.0.1", alias="API_HOST")
    api_port: int = Field(8000, alias="API_PORT")
    api_workers: int = Field(1, alias="API_WORKERS", ge=1,
                             description="API processes behind the one port (uvicorn workers); one per core")
    discovery_interval: float = Field(30.0, alias="DISCOVERY_INTERVAL", ge=0,
                                      description="Seconds between scans; 0 disables the periodic scan")
    discovery_settle_s: float = Field(
        1.0, alias="DISCOVERY_SETTLE_SECONDS", ge=0,
        description="A file whose size changes within this window is left for the next scan")
    discovery_watch: bool = Field(
        True, alias="DISCOVERY_WATCH",
        description="Also watch the roots for new and removed files (inotify): seconds instead of the next scan. "
                    "Turn off on network mounts, which send no events")
    missing_retention_days: float = Field(
        30.0, alias="MISSING_RETENTION_DAYS", ge=0,
        description="How long a missing video's results are kept (it is purged after); its file coming back "
                    "within that time restores it with nothing analysed again")
    # Per-analysis config overrides, e.g. {"object_detection": {"min_confidence": 0.4}},
    # checked against the analyses' config models at start-up.
    analysis_config: dict[TaskType, dict[str, Any]] = Field(default_factory=dict, alias="ANALYSIS_CONFIG")
    health_timeout_s: float = Field(1.0, alias="HEALTH_TIMEOUT_SECONDS", gt=0,
                                    description="Bound on each dependency check of /health and /ready")
    health_cache_s: float = Field(1.0, alias="HEALTH_CACHE_SECONDS", ge=0,
                                  description="How long one /health report is served before re-checking")
    task_totals_cache_s: float = Field(2.0, alias="TASK_TOTALS_CACHE_SECONDS", ge=0,
                                       description="How old the task list's total may be (0 = count every time)")
    database_pool_size: int = Field(
        16, alias="DATABASE_POOL_SIZE", ge=1,
        description="PostgreSQL connections each API process keeps open; size it to the concurrent requests "
                    "you expect (a request beyond it borrows a short-lived extra connection)")
    frame_cache_mb: float = Field(64.0, alias="FRAME_CACHE_MB", ge=0,
                                  description="Memory for recently served frames (GET /videos/{id}/frame)")
    frame_workers: int = Field(2, alias="FRAME_WORKERS", ge=1,
                               description="Frames decoded at once; more requests wait their turn")
    webhook_urls: str = Field("", alias="WEBHOOK_URLS",
                              description="Comma-separated http(s) URLs receiving every event (needs WEBHOOK_SECRET)")
    api_token: str | None = Field(None, alias="API_TOKEN")
    api_token_reads: bool = Field(False, alias="API_TOKEN_READS")

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
                raise ValueError(f"WEBHOOK_URLS: {urlsplit(url).hostname}: address refused: {reason} "
                                 "(see WEBHOOK_ALLOW_PRIVATE)")
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
