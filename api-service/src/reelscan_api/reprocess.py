"""Running analyses again and reordering the queue: what operators ask for after a
model upgrade or a config change, or when one video matters now.

Each action changes PostgreSQL first (the truth: a task set PENDING is enqueued by
the reconciler if this process dies before it does), then the queue.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reelscan_api.producer import requeue_all
from reelscan_shared.analyses import ANALYSES, default_config
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import InvalidTransition, NotFound, QueueUnavailable, VideoMissing
from reelscan_shared.domain.tasks import Priority, Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, VideoStatus
from reelscan_shared.logging import get_logger
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import RerunFilter, TaskQuery, TaskRepository, VideoRepository

log = get_logger(__name__)
REPROCESS_REASON = "reprocess requested"


class InvalidConfig(ValueError):
    """A config override does not fit its analysis's config model. ``errors`` are in
    FastAPI's validation format, located in the request body, so a 422 reads the same
    whichever check refused it."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


def validated_config(task_type: TaskType, base: Mapping[str, Any], override: Mapping[str, Any],
                     where: tuple[str, ...]) -> dict[str, Any]:
    """``base`` with ``override`` on top, checked against the analysis's config model;
    ``where`` is the override's place in the request body."""
    try:
        model = ANALYSES[task_type].config_model.model_validate({**base, **override})
    except ValidationError as exc:
        raise InvalidConfig([{"loc": ["body", *where, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                             for e in exc.errors()]) from exc
    return model.model_dump(mode="json")


@dataclass(frozen=True)
class Rerun:
    tasks: list[Task]
    enqueued: int


class Reprocessing:
    def __init__(self, videos: VideoRepository, tasks: TaskRepository, queue: JobQueue,
                 analysis_config: Mapping[TaskType, dict[str, Any]], on_change: Callable[[], None]) -> None:
        self.videos = videos
        self.tasks = tasks
        self.queue = queue
        self.analysis_config = analysis_config  # ANALYSIS_CONFIG: what new tasks start from
        self.on_change = on_change
        self._background: set[asyncio.Task[None]] = set()

    async def _present(self, video_id: str) -> Video:
        video = await self.videos.get(video_id)
        if video is None:
            raise NotFound(f"video {video_id} not found")
        if video.status is VideoStatus.MISSING:
            raise VideoMissing(f"video {video_id} is missing (no file of it exists since {video.missing_since}); "
                               "bring the file back to analyse it")
        return video

    async def video(self, video_id: str, analyses: frozenset[TaskType] | None,
                    overrides: Mapping[TaskType, dict[str, Any]], priority: Priority) -> Rerun:
        """Run the video's analyses (all, or those named) again, each with its config and
        the overrides on top; running ones restart."""
        await self._present(video_id)
        current = (await self.tasks.query(TaskQuery(video_id=video_id, limit=100, with_total=False))).items
        chosen = [t for t in current if analyses is None or t.task_type in analyses]
        configs = {t.task_id: validated_config(t.task_type, t.config, overrides.get(t.task_type, {}),
                                               ("config", t.task_type.value)) for t in chosen}
        now = utcnow()
        rerun = [r for t in chosen
                 if (r := await self.tasks.rerun(t.task_id, now, REPROCESS_REASON, priority, configs[t.task_id]))]
        self.on_change()
        return Rerun(rerun, await requeue_all(self.queue, rerun, "reprocess"))

    async def task(self, video_id: str, task_type: TaskType, config: Mapping[str, Any], priority: Priority) -> Rerun:
        """One analysis of a video with this config (ANALYSIS_CONFIG's defaults under it):
        the video's task of that analysis runs again, or is created. 409 while it is
        pending or running (cancel it first)."""
        await self._present(video_id)
        full = validated_config(task_type, default_config(task_type, self.analysis_config), config, ("config",))
        existing = (await self.tasks.query(TaskQuery(video_id=video_id, task_type=task_type, limit=1,
                                                     with_total=False))).items
        if existing and not existing[0].status.is_terminal:
            raise InvalidTransition(existing[0].task_id, existing[0].status.value, "created again")
        if existing:
            task = await self.tasks.rerun(existing[0].task_id, utcnow(), REPROCESS_REASON, priority, full)
            if task is None:
                raise NotFound(f"task {existing[0].task_id} not found")
        else:
            a = ANALYSES[task_type]
            task = Task(task_id=str(uuid.uuid4()), video_id=video_id, task_type=task_type,
                        status=TaskStatus.PENDING, queue=a.queue, created_at=utcnow(), config=full, priority=priority)
            await self.tasks.add(task)
        self.on_change()
        return Rerun([task], await requeue_all(self.queue, [task], "reprocess"))

    async def library(self, f: RerunFilter, priority: Priority) -> int:
        """Run again every task the filter selects; the count. The rows are PENDING when
        this returns; their jobs are enqueued in the background (or by the reconciler)."""
        ids = await self.tasks.rerun_where(f, REPROCESS_REASON, priority)
        log.info("reprocess_requested", tasks=len(ids), analyses=sorted(t.value for t in f.task_types),
                 priority=priority.value)
        if ids:
            self.on_change()
            job = asyncio.create_task(self._enqueue_in_batches(ids))
            self._background.add(job)
            job.add_done_callback(self._background.discard)
        return len(ids)

    async def _enqueue_in_batches(self, ids: list[str], batch: int = 500) -> None:
        for start in range(0, len(ids), batch):
            try:
                await requeue_all(self.queue, await self.tasks.get_many(ids[start:start + batch]), "reprocess")
            except Exception:
                log.exception("reprocess_enqueue_failed", left=len(ids) - start)
                return

    async def prioritize(self, video_id: str, priority: Priority) -> tuple[list[Task], int]:
        """The video's waiting tasks get this priority, and their queued jobs move."""
        await self._present(video_id)
        changed = await self.tasks.prioritize_video(video_id, priority)
        try:
            moved = await self.queue.reprioritize(changed)
        except QueueUnavailable as exc:  # the rows say high: the reconciler re-enqueues lost jobs so
            log.warning("reprioritize_deferred", video_id=video_id, reason=str(exc))
            moved = 0
        return changed, moved

    async def close(self) -> None:
        for job in list(self._background):
            job.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
