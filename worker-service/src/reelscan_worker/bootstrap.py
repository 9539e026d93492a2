"""Everything a worker needs, built from one settings object in arq's on_startup."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis

from reelscan_shared.adapters.db import Database, SqlTaskRepository
from reelscan_shared.adapters.queue import ArqJobQueue
from reelscan_shared.ports.ml import MLClient
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import TaskRepository
from reelscan_worker.ml_client import HttpMLClient
from reelscan_worker.settings import WorkerSettings


@dataclass
class WorkerDeps:
    """Typed by the ports, so tests (and other adapters) plug into the same handler."""

    settings: WorkerSettings
    db: Database
    tasks: TaskRepository
    ml: MLClient
    redis: ArqRedis  # arq's pool: also the worker's own keys (leases, the reconciler's lock)
    queue: JobQueue

    async def close(self) -> None:
        await self.ml.aclose()
        await self.db.dispose()


def build(settings: WorkerSettings, redis: ArqRedis, ml: MLClient | None = None) -> WorkerDeps:
    """``redis`` is arq's own pool (ctx["redis"]); ``ml`` may be replaced in tests."""
    db = Database(settings.database_url, pool_size=max(2, settings.max_jobs))
    return WorkerDeps(
        settings=settings, db=db, tasks=SqlTaskRepository(db, keep_superseded=settings.keep_superseded),
        ml=ml or HttpMLClient(settings.ml_service_url, settings.ml_timeout_s, max_connections=settings.max_jobs * 2),
        redis=redis, queue=ArqJobQueue(redis),
    )
