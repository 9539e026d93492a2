"""The files the last discovery scan left out, for /health in every API process.

A scan runs in whichever process won the round (or took POST /discover), while /health
is answered by any of them: the list lives in Valkey, one small key, replaced by each
scan. Losing it (Valkey restarted) costs nothing: the next scan writes it again."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from reelscan_shared.domain.clock import utcnow
from reelscan_shared.logging import get_logger

log = get_logger(__name__)

KEY = "reelscan:discovery:skipped"
SHOWN = 20  # the first files, by path; `count` says how many in all


class SkippedFiles:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def record(self, errors: list[dict[str, str]]) -> None:
        files = sorted(errors, key=lambda e: e["path"])
        body = {"count": len(files), "files": files[:SHOWN], "scanned_at": utcnow().isoformat(timespec="seconds")}
        try:
            await self.redis.set(KEY, json.dumps(body))
        except (RedisError, OSError) as exc:  # the scan itself went well: /health shows it after the next
            log.warning("skipped_files_not_recorded", error=str(exc))

    async def last(self) -> dict[str, Any] | None:
        """The last scan's list, or None before the first scan (or with Valkey down)."""
        raw = await self.redis.get(KEY)
        return json.loads(raw) if raw else None
