"""What GET /health, /ready and /metrics report, cheap enough to poll.

Every dependency check has a short timeout (HEALTH_TIMEOUT_SECONDS), and the whole
report is cached for HEALTH_CACHE_SECONDS: under 50 polls a second the checks run
about once a second, concurrent polls share one check in flight, and a hanging
dependency costs at most one timeout, never a hung request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import time
from datetime import UTC, datetime
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text

from reelscan_api.bootstrap import Container
from reelscan_api.migrations.runner import alembic_config
from reelscan_shared.domain.queues import QUEUES
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.metrics import QUEUE_DEPTH, TASKS_BY_STATUS
from reelscan_shared.ports.repositories import BlockedTasks


async def _check(coro: Any, timeout: float) -> str:
    try:
        await asyncio.wait_for(coro, timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is "this dependency is down"
        return f"down: {type(exc).__name__}: {exc}"[:200]
    return "up"


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


async def _schema(c: Container) -> str:
    """``current`` when the database is at the code's migration head."""
    async with c.db.reads.connect() as conn:
        applied = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
    return "current" if applied == head_revision() else f"behind: at {applied}, code needs {head_revision()}"


async def _ml_health(c: Container, timeout: float) -> tuple[str, dict[str, Any]]:
    """The ML service's state, and what it says of each analysis (whether it can run)."""
    try:
        resp = await asyncio.wait_for(c.ml_http.get("/health"), timeout)
        resp.raise_for_status()
        analyses = resp.json().get("analyses")
    except Exception as exc:  # noqa: BLE001 - any failure is "the ML service is down"
        return f"down: {type(exc).__name__}: {exc}"[:200], {}
    return "up", analyses if isinstance(analyses, dict) else {}


async def _blocked(c: Container, timeout: float) -> dict[TaskType, BlockedTasks] | None:
    try:
        return await asyncio.wait_for(c.tasks.blocked(), timeout)
    except Exception:  # noqa: BLE001 - the database is down: reported as such above
        return None


def _analyses(ml: dict[str, Any], blocked: dict[TaskType, BlockedTasks] | None) -> dict[str, dict[str, Any]]:
    """Per analysis: whether the ML service can run it (null when it cannot be asked) and,
    if not, why; and its BLOCKED tasks with the latest one's reason."""
    out: dict[str, dict[str, Any]] = {}
    for analysis in TaskType:
        said = ml.get(analysis.value)
        state = said if isinstance(said, dict) else {}
        tasks = (blocked or {}).get(analysis)
        out[analysis.value] = {"runnable": state.get("runnable"), "reason": state.get("reason"),
                               "detail": state.get("detail"),
                               "blocked_tasks": tasks.count if tasks else (0 if blocked is not None else None),
                               "blocked_reason": tasks.reason if tasks else None}
    return out


QueueInfo = dict[str, int | bool | None]


async def _queues(c: Container) -> tuple[dict[str, str], dict[str, QueueInfo]]:
    """Worker presence (arq's health-check key of each queue), queue depths, paused queues."""
    workers: dict[str, str] = {}
    depths: dict[str, QueueInfo] = {}
    for q in QUEUES:
        try:
            workers[q] = "active" if await c.queue.worker_alive(q) else "absent"
            depths[q] = {"depth": await c.queue.depth(q), "paused": await c.queue.paused(q)}
        except Exception:  # noqa: BLE001
            workers[q], depths[q] = "unknown", {"depth": None, "paused": None}
    return workers, depths


async def _library(c: Container, timeout: float) -> dict[str, Any]:
    """The roots' states: an unavailable root (unmounted) is reported, never scanned as empty."""
    skipped: dict[str, Any] | None = None
    with contextlib.suppress(Exception):  # Valkey is down: reported as such above
        skipped = await asyncio.wait_for(c.skipped_files.last(), timeout)
    try:
        roots = await asyncio.wait_for(c.discovery.root_states(), timeout)
    except Exception:  # noqa: BLE001 - a hung network mount, or the database is down
        return {"roots": None, "unavailable_roots": None, "skipped_files": skipped}
    return {"roots": roots, "unavailable_roots": [r for r, s in roots.items() if s in ("absent", "unavailable")],
            "skipped_files": skipped}


async def _schema_or_error(c: Container, timeout: float) -> str:
    try:
        return await asyncio.wait_for(_schema(c), timeout)
    except Exception as exc:  # noqa: BLE001 - no table yet, or the database is down
        return f"unknown: {type(exc).__name__}"


async def build_report(c: Container) -> dict[str, Any]:
    t = c.settings.health_timeout_s
    database, valkey, (ml, ml_analyses), schema, library, blocked = await asyncio.gather(
        _check(c.db.ping(), t), _check(c.queue.ping(), t), _ml_health(c, t), _schema_or_error(c, t),
        _library(c, t), _blocked(c, t))
    analyses = _analyses(ml_analyses, blocked)
    workers = dict.fromkeys(QUEUES, "unknown")
    queues: dict[str, QueueInfo] = {q: {"depth": None, "paused": None} for q in QUEUES}
    if valkey == "up":
        with contextlib.suppress(TimeoutError):
            workers, queues = await asyncio.wait_for(_queues(c), t)
    if database != "up" or valkey != "up":
        status = "unhealthy"
    elif (ml != "up" or schema != "current" or any(w != "active" for w in workers.values())
          or any(a["blocked_tasks"] for a in analyses.values())):
        status = "degraded"
    else:
        status = "healthy"
    return {"status": status, "database": database, "schema": schema, "valkey": valkey, "ml_service": ml,
            "workers": workers, "queues": queues, "paused_queues": [q for q, i in queues.items() if i["paused"]],
            "library": library, "analyses": analyses,
            "checked_at": datetime.now(UTC).isoformat(timespec="milliseconds")}


class HealthMonitor:
    """The cached report, refreshed in the background once stale.

    Polls do not wait for the checks while the report is recent: a report up to
    STALE_LIMIT cache periods old is served while one refresh runs, so a slow or hung
    dependency shows up as ``down`` within HEALTH_TIMEOUT_SECONDS without slowing a
    steady poll. An older one (nobody asked for a while) is not served: that poll waits
    for the refresh, itself bounded by HEALTH_TIMEOUT_SECONDS per check.
    """

    STALE_LIMIT = 5

    def __init__(self, container: Container) -> None:
        self.c = container
        self.ttl_s = container.settings.health_cache_s
        self._report: dict[str, Any] | None = None
        self._at = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._counts_at = 0.0

    async def report(self) -> dict[str, Any]:
        age = time.monotonic() - self._at
        if self._report is None or self.ttl_s == 0 or age > self.STALE_LIMIT * self.ttl_s:
            if self._refreshing is not None and not self._refreshing.done():
                await asyncio.shield(self._refreshing)
            else:
                await self._refresh()
        elif time.monotonic() - self._at >= self.ttl_s and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh())
        assert self._report is not None
        return self._report

    async def _refresh(self) -> None:
        self._report = await build_report(self.c)
        self._at = time.monotonic()

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()

    async def refresh_metrics(self, max_age_s: float = 5.0) -> None:
        """Task counts and queue depths for /metrics (a GROUP BY at most every few seconds)."""
        if time.monotonic() - self._counts_at < max_age_s:
            return
        self._counts_at = time.monotonic()
        t = self.c.settings.health_timeout_s
        try:
            counts = await asyncio.wait_for(self.c.tasks.type_status_counts(), t)
        except Exception:  # noqa: BLE001 - the gauges keep their last values; /health says why
            counts = None
        if counts is not None:
            # Every pair, zeros included (not clear() + set: series stay continuous, and
            # clear() does not exist in the multiprocess mode API_WORKERS > 1 uses).
            for pair in itertools.product([t.value for t in TaskType], [s.value for s in TaskStatus]):
                TASKS_BY_STATUS.labels(*pair).set(counts.get(pair, 0))
        for q, info in (await self.report())["queues"].items():
            if isinstance(info["depth"], int):
                QUEUE_DEPTH.labels(q).set(info["depth"])
