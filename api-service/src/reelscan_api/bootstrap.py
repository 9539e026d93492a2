"""Builds everything the API needs from one settings object. No I/O at import;
the FastAPI lifespan calls ``build`` and ``Container.close``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from arq.connections import ArqRedis

from reelscan_api.discovery import Discovery
from reelscan_api.frames import FrameGrabber
from reelscan_api.reprocess import Reprocessing
from reelscan_api.settings import ApiSettings
from reelscan_api.skipped_files import SkippedFiles
from reelscan_api.task_actions import TaskActions
from reelscan_api.task_totals import TaskTotals
from reelscan_shared.adapters.db import Database, SqlArtifactRepository, SqlTaskRepository, SqlVideoRepository
from reelscan_shared.adapters.db.library import SqlLibrary
from reelscan_shared.adapters.db.outbox import SqlOutbox
from reelscan_shared.adapters.db.search import SqlSearch
from reelscan_shared.adapters.queue import ArqJobQueue
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import ArtifactRepository, TaskRepository, VideoRepository
from reelscan_shared.ports.search import SearchIndex


@dataclass
class Container:
    """Typed by the ports: only ``build`` knows which adapters implement them."""

    settings: ApiSettings
    db: Database
    videos: VideoRepository
    tasks: TaskRepository
    artifacts: ArtifactRepository
    search: SearchIndex
    frames: FrameGrabber
    queue: JobQueue
    redis: ArqRedis  # the queue's connection pool, also for the discovery round key
    discovery: Discovery
    skipped_files: SkippedFiles
    task_totals: TaskTotals
    task_actions: TaskActions
    reprocessing: Reprocessing
    outbox: SqlOutbox
    ml_http: httpx.AsyncClient

    async def close(self) -> None:
        await self.reprocessing.close()
        await self.ml_http.aclose()
        await self.queue.close()
        await self.db.dispose()


def build(settings: ApiSettings) -> Container:
    db = Database(settings.database_url, pool_size=settings.database_pool_size,
                  read_timeout_ms=settings.db_statement_timeout_ms, write_timeout_ms=settings.db_write_timeout_ms)
    videos = SqlVideoRepository(db)
    # Built without a ping so the API starts (and reports "unhealthy") while Valkey is down.
    timeout = settings.health_timeout_s
    pool = ArqRedis.from_url(settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    queue = ArqJobQueue(pool, op_timeout=timeout + 1)
    tasks = SqlTaskRepository(db)
    totals = TaskTotals(tasks, settings.task_totals_cache_s)
    skipped = SkippedFiles(pool)
    discovery = Discovery(settings.video_roots, SqlLibrary(db), tasks, queue, settings.discovery_settle_s,
                          settings.analysis_config, on_registered=totals.invalidate,
                          missing_retention_days=settings.missing_retention_days, on_skipped=skipped.record)
    return Container(
        settings=settings, db=db, videos=videos, tasks=tasks, artifacts=SqlArtifactRepository(db),
        search=SqlSearch(db), queue=queue,
        frames=FrameGrabber(settings.video_roots, int(settings.frame_cache_mb * 2**20), settings.frame_workers,
                            settings.max_video_pixels),
        redis=pool, discovery=discovery, skipped_files=skipped, task_totals=totals,
        task_actions=TaskActions(tasks, queue, on_change=totals.invalidate),
        reprocessing=Reprocessing(videos, tasks, queue, settings.analysis_config, on_change=totals.invalidate),
        outbox=SqlOutbox(db),
        ml_http=httpx.AsyncClient(base_url=settings.ml_service_url, timeout=timeout),
    )
