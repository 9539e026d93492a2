"""Worker leases: a short-lived Valkey key per running job, refreshed while the
job runs. An expired lease is a definitive signal that the worker is gone
(arq itself keeps a dead worker's job "in progress" until job_timeout + 10 s)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from reelscan_shared.logging import get_logger

log = get_logger(__name__)
LEASE_PREFIX = "reelscan:lease:"
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def lease_key(job_id: str) -> str:
    return LEASE_PREFIX + job_id


async def lease_held(redis: Redis, job_id: str) -> bool:
    """Whether a live worker holds the job's lease."""
    return bool(await redis.exists(lease_key(job_id)))


@contextlib.asynccontextmanager
async def hold_lease(redis: Redis, job_id: str, ttl_s: int) -> AsyncIterator[None]:
    key = lease_key(job_id)
    await redis.set(key, WORKER_ID, ex=ttl_s)

    async def refresh() -> None:
        while True:
            await asyncio.sleep(max(ttl_s / 3, 1))
            try:
                await redis.set(key, WORKER_ID, ex=ttl_s)
            except Exception as exc:  # noqa: BLE001 - keep trying; the lease may lapse meanwhile
                log.warning("lease_refresh_failed", job_id=job_id, error=str(exc))

    refresher = asyncio.create_task(refresh())
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        with contextlib.suppress(Exception):
            await redis.delete(key)
