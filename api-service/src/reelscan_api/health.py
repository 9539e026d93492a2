"""Dependency checks for GET /health, each bounded by a short timeout."""

from __future__ import annotations

import asyncio
from typing import Any

from reelscan_api.bootstrap import Container
from reelscan_shared.domain.catalog import QUEUES


async def _check(coro: Any, timeout: float) -> str:
    try:
        await asyncio.wait_for(coro, timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is "this dependency is down"
        return f"down: {type(exc).__name__}: {exc}"[:200]
    return "up"


async def _ml_health(c: Container) -> None:
    resp = await c.ml_http.get("/health")
    resp.raise_for_status()


async def _queues(c: Container) -> tuple[dict[str, str], dict[str, dict[str, int | None]]]:
    workers: dict[str, str] = {}
    depths: dict[str, dict[str, int | None]] = {}
    for q in QUEUES:
        try:
            workers[q] = "active" if await c.queue.worker_alive(q) else "absent"
            depths[q] = {"depth": await c.queue.depth(q)}
        except Exception:  # noqa: BLE001
            workers[q], depths[q] = "unknown", {"depth": None}
    return workers, depths


async def health_report(c: Container) -> dict[str, Any]:
    t = c.settings.health_timeout_s
    database, valkey, ml = await asyncio.gather(
        _check(c.db.ping(), t), _check(c.queue.ping(), t), _check(_ml_health(c), t)
    )
    if valkey == "up":
        workers, queues = await _queues(c)
    else:
        workers = dict.fromkeys(QUEUES, "unknown")
        queues = {q: {"depth": None} for q in QUEUES}
    if database != "up" or valkey != "up":
        status = "unhealthy"
    elif ml != "up" or any(w != "active" for w in workers.values()):
        status = "degraded"
    else:
        status = "healthy"
    return {"status": status, "database": database, "valkey": valkey, "ml_service": ml,
            "workers": workers, "queues": queues}
