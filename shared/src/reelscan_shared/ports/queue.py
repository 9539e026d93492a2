"""The job queue port (arq on Valkey in production)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reelscan_shared.domain.tasks import Priority, Task


class JobQueue(Protocol):
    async def enqueue(self, task: Task) -> bool:
        """Enqueue the task's job; False if a job with its id is already queued or running."""
        ...

    async def enqueue_many(self, tasks: Sequence[Task]) -> list[bool]:
        """Enqueue many jobs in few round trips; one flag per task, as ``enqueue``."""
        ...

    async def requeue(self, task: Task) -> bool:
        """Clear a finished job's kept result and any stale abort marker, then enqueue."""
        ...

    async def abort(self, task: Task) -> None:
        """Ask arq to abort the job: a queued job never starts, a running one is cancelled."""
        ...

    async def job_state(self, job_id: str, queue: str) -> str:
        """arq's JobStatus value: deferred, queued, in_progress, complete or not_found."""
        ...

    async def in_progress_age_s(self, job_id: str, job_timeout_s: float) -> float | None:
        """Seconds since a worker took the job (arq's in-progress marker); None if no
        worker holds it. ``job_timeout_s`` is the timeout the workers give arq (JOB_CEILING_S)."""
        ...

    async def clear_in_progress(self, job_id: str) -> None:
        """Drop arq's in-progress marker so another worker may take the job (the job
        stays queued); for jobs whose worker is known to be gone."""
        ...

    async def depth(self, queue: str) -> int: ...

    async def reprioritize(self, tasks: Sequence[Task]) -> int:
        """Give the tasks' queued jobs their task's priority; how many jobs moved."""
        ...

    async def depth_by_priority(self, queue: str) -> dict[Priority, int]: ...

    async def set_paused(self, queue: str, paused: bool) -> None:
        """Pause (workers take no new job from it) or resume a queue."""
        ...

    async def paused(self, queue: str) -> bool: ...

    async def workers(self, queue: str) -> int:
        """How many workers serve the queue now."""
        ...

    async def worker_alive(self, queue: str) -> bool: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
